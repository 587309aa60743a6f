package dev.kiln.frontend.onnx;

import dev.kiln.frontend.onnx.proto.Onnx;
import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a Kiln graph as an ONNX {@code ModelProto} of default-domain opset 17: constants become
 * initializers, nodes keep their operator names and attributes (Kiln's operators are ONNX's), and
 * every value keeps its name, so that importing the result gives an equal graph.
 */
final class OnnxExporter {
  static final int OPSET = 17;
  /** IR version 8 goes with opset 17. */
  static final int IR_VERSION = 8;

  private OnnxExporter() {}

  static Onnx.ModelProto export(Graph graph) {
    Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder().setName(graph.name());
    for (Value in : graph.inputs()) {
      g.addInput(valueInfo(in));
    }
    for (Constant c : graph.constants()) {
      g.addInitializer(OnnxTensors.write(c.value().name(), c.data()));
    }
    for (Node n : graph.nodes()) {
      Onnx.NodeProto.Builder nb = Onnx.NodeProto.newBuilder()
          .setOpType(n.op())
          .setName(n.name());
      for (Optional<Value> in : n.inputs()) {
        nb.addInput(in.map(Value::name).orElse(""));
      }
      for (Value out : n.outputs()) {
        nb.addOutput(out.name());
      }
      for (Map.Entry<String, Attribute> a : n.attributes().map().entrySet()) {
        nb.addAttribute(OnnxAttributes.write(a.getKey(), a.getValue()));
      }
      g.addNode(nb);
    }
    for (Value out : graph.outputs()) {
      g.addOutput(valueInfo(out));
    }
    return Onnx.ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName("kiln")
        .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setGraph(g)
        .build();
  }

  private static Onnx.ValueInfoProto valueInfo(Value v) {
    return Onnx.ValueInfoProto.newBuilder()
        .setName(v.name())
        .setType(OnnxTypes.write(v.type()))
        .build();
  }
}
