package dev.kiln.cli;

import dev.kiln.frontend.ModelLoadException;
import dev.kiln.frontend.npy.NpyException;
import dev.kiln.frontend.safetensors.SafeTensorsException;
import dev.kiln.passes.pipeline.PassCrashException;
import dev.kiln.passes.pipeline.PassException;
import dev.kiln.passes.pipeline.PipelineException;
import dev.kiln.passes.pipeline.PluginException;
import dev.kiln.runtime.artifact.ArtifactException;
import dev.kiln.runtime.interpreter.RunException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * Turns exceptions into messages and exit codes: a user's mistake is one clear message without a
 * stack trace; anything else is a Kiln bug, reported with its stack trace.
 */
final class Errors implements CommandLine.IExecutionExceptionHandler {
  @Override
  public int handleExecutionException(
      Exception e, CommandLine cli, CommandLine.ParseResult parseResult) {
    PrintWriter err = cli.getErr();
    String message = userMessage(e);
    if (message != null) {
      err.println(message);
      err.flush();
      return Main.USER_ERROR;
    }
    if (e instanceof PassCrashException crash) {
      err.println("kiln: internal error in a pass (please report it with the reproducer): " + crash.getMessage());
      e.printStackTrace(err);
      err.flush();
      return Main.INTERNAL_ERROR;
    }
    err.println("kiln: internal error (please report it with the input that caused it): " + e);
    e.printStackTrace(err);
    err.flush();
    return Main.INTERNAL_ERROR;
  }

  /** The message to show for a user's mistake, or null when {@code e} is a bug. */
  static String userMessage(Throwable e) {
    return switch (e) {
      case ModelLoadException m -> m.getMessage();
      case UserException u -> "kiln: error: " + u.getMessage();
      case RunException r -> "kiln: error: " + r.getMessage();
      case PipelineException p -> "kiln: error: --passes: " + p.getMessage();
      case PluginException p -> "kiln: error: --plugin " + p.getMessage();
      case PassException p -> "kiln: error: " + p.getMessage();
      case ArtifactException a -> "kiln: error: " + a.getMessage();
      case NpyException n -> "kiln: error: " + n.getMessage();
      case SafeTensorsException s -> "kiln: error: " + s.getMessage();
      case UncheckedIOException io -> "kiln: error: " + describe(io.getCause());
      case java.io.IOException io -> "kiln: error: " + describe(io);
      default -> null;
    };
  }

  private static String describe(java.io.IOException io) {
    if (io instanceof NoSuchFileException nf) {
      return "no such file: " + nf.getFile();
    }
    if (io instanceof java.nio.file.AccessDeniedException ad) {
      return "permission denied: " + ad.getFile();
    }
    return io.getMessage() == null ? io.toString() : io.getMessage();
  }
}
