package dev.kiln.frontend.json;

/** Text is not valid JSON; {@link #position()} is the 0-based character offset of the problem. */
public final class JsonSyntaxException extends RuntimeException {
  private final int position;
  private final String problem;

  public JsonSyntaxException(String problem, int position) {
    super(problem + " at character " + position, null, false, false);
    this.position = position;
    this.problem = problem;
  }

  public int position() {
    return position;
  }

  /** The problem without the position, e.g. {@code expected ':' after an object key}. */
  public String problem() {
    return problem;
  }
}
