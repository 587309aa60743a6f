package dev.kiln.frontend.onnx;

/**
 * One problem with a part of an ONNX file (a tensor, an attribute, a type), raised where it is
 * found and caught by the importer, which adds the node or tensor it concerns and collects it with
 * the others. Never escapes the package.
 */
final class InvalidOnnxException extends RuntimeException {
  InvalidOnnxException(String message) {
    super(message, null, false, false);
  }

  /** A failure whose causes were reported already (e.g. inside a subgraph): nothing to add. */
  static InvalidOnnxException alreadyReported() {
    return new InvalidOnnxException(null);
  }

  boolean isAlreadyReported() {
    return getMessage() == null;
  }
}
