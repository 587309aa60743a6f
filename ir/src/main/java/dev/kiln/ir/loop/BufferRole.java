package dev.kiln.ir.loop;

/** What a buffer is for, which decides where its memory comes from. */
public enum BufferRole {
  /** A model input, provided by the caller; read-only for kernels. */
  INPUT("in"),
  /** A model output, returned to the caller. */
  OUTPUT("out"),
  /** A constant (weights), baked into the compiled model; read-only. */
  CONSTANT("const"),
  /** An intermediate result, placed in the planned scratch arena. */
  SCRATCH("scratch");

  private final String text;

  BufferRole(String text) {
    this.text = text;
  }

  public String text() {
    return text;
  }
}
