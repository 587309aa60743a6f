package dev.kiln.frontend.onnx;

import dev.kiln.frontend.onnx.proto.Onnx;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import java.util.List;
import java.util.Optional;

/**
 * Control flow. Kiln graphs have none, so an {@code If} whose condition is known when the model
 * is loaded (a constant, or folded from static shapes, as exporters often leave behind) is
 * replaced by the branch it takes; any other {@code If}, and {@code Loop} and {@code Scan}, are
 * unsupported.
 */
final class ControlFlowImporters {
  private ControlFlowImporters() {}

  static void ifNode(OnnxNode node, NodeEmitter out) {
    Value cond = LegacyImporters.requireInput(node, 0, "cond");
    Tensor value = out.known(cond).orElseThrow(() -> new InvalidOnnxException(
        "the condition '" + cond.name() + "' is computed at run time; Kiln supports If only "
            + "when its condition is known when the model is loaded"));
    if (value.size() != 1) {
      throw new InvalidOnnxException("the condition must hold one element, got "
          + value.type());
    }
    boolean taken = value.dtype().isFloating() ? value.getDouble(0) != 0 : value.getLong(0) != 0;
    String branchName = taken ? "then_branch" : "else_branch";
    Onnx.AttributeProto branch = node.raw().get(branchName);
    if (branch == null || !branch.hasG()) {
      throw new InvalidOnnxException("attribute '" + branchName + "' (a graph) is missing");
    }
    Optional<List<Value>> outputs = out.importSubgraph(branch.getG(), node.where()
        + ", " + branchName);
    if (outputs.isEmpty()) {
      throw InvalidOnnxException.alreadyReported();
    }
    List<String> names = node.outputs();
    if (outputs.get().size() != node.proto().getOutputCount()) {
      throw new InvalidOnnxException(branchName + " has " + outputs.get().size()
          + " outputs but the node has " + node.proto().getOutputCount());
    }
    for (int i = 0; i < names.size(); i++) {
      out.bind(names.get(i), outputs.get().get(i));
    }
  }
}
