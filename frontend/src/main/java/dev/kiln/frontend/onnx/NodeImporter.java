package dev.kiln.frontend.onnx;

/**
 * Maps an ONNX operator whose ONNX form is not Kiln's one to one (an older opset's form, control
 * flow) into Kiln nodes. Most operators need none: Kiln's follow ONNX, and the importer applies
 * them by name.
 */
@FunctionalInterface
interface NodeImporter {
  /**
   * Emits the Kiln nodes for {@code node} and binds each of its ONNX outputs.
   *
   * @throws InvalidOnnxException when the node cannot be mapped, saying why (the importer adds
   *     which node)
   */
  void importNode(OnnxNode node, NodeEmitter out);
}
