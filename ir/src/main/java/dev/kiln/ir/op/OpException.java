package dev.kiln.ir.op;

/**
 * A user-facing error about one operator application: wrong types, bad attribute values, shapes
 * that do not fit. Thrown by shape inference and reference evaluation; callers add where it
 * happened (file position, node name).
 */
public final class OpException extends RuntimeException {
  public OpException(String message) {
    super(message, null, false, false);
  }

  public static OpException of(String format, Object... args) {
    return new OpException(String.format(format, args));
  }
}
