package dev.kiln.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code kiln}: check, print, run, convert, export and compile models from the command line.
 *
 * <p>Exit codes: 0 success, 1 the input is wrong (a message says where), 2 the command line is
 * wrong, 3 an internal error (a bug in Kiln: the message asks for a report).
 */
@Command(
    name = "kiln",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Kiln, a deep-learning compiler for the JVM.",
    subcommands = {CheckCommand.class, PrintCommand.class, RunCommand.class, ConvertCommand.class,
        ExportCommand.class, CompileCommand.class, PassesCommand.class,
        CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  static final int USER_ERROR = 1;
  static final int USAGE_ERROR = 2;
  static final int INTERNAL_ERROR = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the CLI and returns its exit code, without exiting (for tests). */
  public static int execute(String... args) {
    return execute(
        new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
  }

  /** Runs the CLI writing to the given streams and returns its exit code. */
  public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(new Errors());
    cli.setExitCodeExceptionMapper(e -> USAGE_ERROR);
    int code = cli.execute(args);
    cli.getOut().flush();
    cli.getErr().flush();
    return code;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"kiln " + (v == null ? "0.1.0-SNAPSHOT" : v)
          + " (Java " + Runtime.version() + ")"};
    }
  }
}
