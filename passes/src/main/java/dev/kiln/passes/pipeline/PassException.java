package dev.kiln.passes.pipeline;

/**
 * A pass cannot run on this input for a reason the user can act on (a shape that depends on
 * data, an option that does not fit the model). The message says what and where; the pass
 * manager passes it on as it is, without a reproducer: this is not a bug in the pass.
 */
public class PassException extends RuntimeException {
  public PassException(String message) {
    super(message);
  }

  public PassException(String message, Throwable cause) {
    super(message, cause);
  }
}
