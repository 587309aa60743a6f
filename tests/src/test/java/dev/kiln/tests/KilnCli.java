package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kiln.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the kiln CLI in-process for the CLI tests, checking that no stack trace reaches the user. */
public final class KilnCli {
  private KilnCli() {}

  /** The exit code and what the command printed to stdout and stderr. */
  public record Result(int code, String out, String err) {}

  public static Result kiln(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
    Result r = new Result(code, out.toString(), err.toString());
    assertFalse(r.err.contains("\tat "), "no stack trace for a user's mistake:\n" + r.err);
    return r;
  }
}
