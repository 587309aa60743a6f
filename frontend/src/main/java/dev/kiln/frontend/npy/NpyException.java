package dev.kiln.frontend.npy;

/** A {@code .npy} file is malformed or holds a dtype Kiln cannot read; the message names the file. */
public final class NpyException extends RuntimeException {
  public NpyException(String message) {
    super(message, null, false, false);
  }
}
