package dev.kiln.ir.graph;

/** The kinds of attribute values, mirroring ONNX's {@code AttributeProto.AttributeType}. */
public enum AttributeKind {
  INT("int"),
  FLOAT("float"),
  STRING("string"),
  INTS("ints"),
  FLOATS("floats"),
  STRINGS("strings"),
  TENSOR("tensor");

  private final String text;

  AttributeKind(String text) {
    this.text = text;
  }

  public String text() {
    return text;
  }

  @Override
  public String toString() {
    return text;
  }
}
