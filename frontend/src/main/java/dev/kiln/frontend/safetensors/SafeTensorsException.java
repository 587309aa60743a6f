package dev.kiln.frontend.safetensors;

/** A safetensors file is malformed; the message names the file and, where it applies, the key. */
public final class SafeTensorsException extends RuntimeException {
  public SafeTensorsException(String message) {
    super(message, null, false, false);
  }
}
