package dev.kiln.passes.pipeline;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A pass failed in a way that is a bug (it threw, or its output does not verify). The message
 * names the pass and points at the reproducer file written for it: the pipeline's input IR and
 * the pipeline string, runnable with {@code kiln print FILE --passes=...}.
 */
public final class PassCrashException extends RuntimeException {
  private final String pass;
  private final Optional<Path> reproducer;

  public PassCrashException(String message, String pass, Optional<Path> reproducer, Throwable cause) {
    super(message, cause);
    this.pass = pass;
    this.reproducer = reproducer;
  }

  /** The pass that failed, as written in the pipeline. */
  public String pass() {
    return pass;
  }

  /** Where the reproducer was written; empty when it could not be. */
  public Optional<Path> reproducer() {
    return reproducer;
  }
}
