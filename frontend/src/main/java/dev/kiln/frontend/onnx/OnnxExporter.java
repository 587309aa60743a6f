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
 *
 * <p>Kiln's fused operators are not ONNX operators. {@code FusedConv} with an activation that
 * ONNX Runtime's {@code com.microsoft.FusedConv} has (Relu, Sigmoid, Tanh, LeakyRelu, Clip,
 * HardSigmoid, or none) is written in that domain, which ONNX Runtime runs (Kiln's importer does
 * not read it back); the others have no equivalent and are refused with a message naming the
 * node: export the graph as it was before {@code fuse-epilogue}.
 */
final class OnnxExporter {
  static final int OPSET = 17;
  /** IR version 8 goes with opset 17. */
  static final int IR_VERSION = 8;

  private OnnxExporter() {}

  static final String MICROSOFT = "com.microsoft";
  private static final java.util.Set<String> MICROSOFT_FUSED_CONV_ACTIVATIONS = java.util.Set.of(
      "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Clip", "HardSigmoid");

  /**
   * The ONNX model of {@code graph}.
   *
   * @throws InvalidOnnxException naming the node when an operator has no ONNX form
   */
  static Onnx.ModelProto export(Graph graph) {
    Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder().setName(graph.name());
    boolean microsoft = false;
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
      if (isMicrosoftOp(n)) {
        nb.setDomain(MICROSOFT);
        microsoft = true;
      }
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
    Onnx.ModelProto.Builder model = Onnx.ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName("kiln")
        .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET));
    if (microsoft) {
      model.addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain(MICROSOFT).setVersion(1));
    }
    return model.setGraph(g).build();
  }

  /** Whether {@code n} is written in the com.microsoft domain; throws when it has no ONNX form. */
  private static boolean isMicrosoftOp(Node n) {
    switch (n.op()) {
      case "FusedConv" -> {
        String act = n.attributes().getString("activation", "Relu");
        if (!MICROSOFT_FUSED_CONV_ACTIVATIONS.contains(act)) {
          throw new InvalidOnnxException(n.describe() + " has activation " + act + ", which ONNX"
              + " Runtime's com.microsoft.FusedConv does not have; export the model before the"
              + " fuse-epilogue pass");
        }
        return true;
      }
      case "FusedGemm", "FusedMatMul" -> throw new InvalidOnnxException(n.describe() + " is a"
          + " Kiln fused operator with no ONNX equivalent; export the model before the"
          + " fuse-epilogue pass");
      default -> {
        return false;
      }
    }
  }

  private static Onnx.ValueInfoProto valueInfo(Value v) {
    return Onnx.ValueInfoProto.newBuilder()
        .setName(v.name())
        .setType(OnnxTypes.write(v.type()))
        .build();
  }
}
