package dev.kiln.frontend.onnx;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.frontend.onnx.proto.Onnx;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Value;
import java.util.Optional;

/**
 * An ONNX node on its way into the graph: its inputs already resolved to Kiln values (an empty
 * slot for an absent input), its plain attributes converted, and the opset version its operator
 * binds to.
 *
 * @param attributes the attributes Kiln can hold (graph-valued ones are only in {@code raw})
 * @param raw every attribute as it was in the file, by name (function references resolved)
 * @param where how messages name this node, e.g. {@code node 'conv1' (Conv, opset 13)}
 */
record OnnxNode(
    Onnx.NodeProto proto,
    String opType,
    String domain,
    int opset,
    ImmutableList<Optional<Value>> inputs,
    Attributes attributes,
    ImmutableMap<String, Onnx.AttributeProto> raw,
    String where) {

  /** The ONNX output names, trailing absent ("") ones dropped. */
  ImmutableList<String> outputs() {
    int end = proto.getOutputCount();
    while (end > 0 && proto.getOutput(end - 1).isEmpty()) {
      end--;
    }
    return ImmutableList.copyOf(proto.getOutputList().subList(0, end));
  }

  Optional<Value> input(int i) {
    return i < inputs.size() ? inputs.get(i) : Optional.empty();
  }
}
