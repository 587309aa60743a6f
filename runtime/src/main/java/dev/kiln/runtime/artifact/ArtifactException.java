package dev.kiln.runtime.artifact;

/**
 * An artifact cannot be loaded or run: not a Kiln artifact, corrupt or truncated, an entry
 * missing, or made by a Kiln or JDK this runtime cannot run. The message is the file, a colon and
 * the problem, which says what is wrong and what to do; it is meant to be shown as is, without a
 * stack trace.
 */
public final class ArtifactException extends RuntimeException {
  private final String file;
  private final String problem;

  public ArtifactException(String file, String problem) {
    this(file, problem, null);
  }

  public ArtifactException(String file, String problem, Throwable cause) {
    super(file + ": " + problem, cause, false, cause != null);
    this.file = file;
    this.problem = problem;
  }

  /** The artifact as the caller named it. */
  public String file() {
    return file;
  }

  /** The message without the file. */
  public String problem() {
    return problem;
  }
}
