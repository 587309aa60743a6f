package dev.kiln.frontend.onnx;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Value;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The operators that need more than a one-to-one mapping, by ONNX operator name. Everything else
 * maps {@link #direct}ly: Kiln's operators follow the ONNX spec (opsets 13 to 17) and accept
 * both forms where a later opset moved an attribute to an input, so only semantic changes of
 * older opsets and control flow are handled here.
 */
final class OpImporters {
  private OpImporters() {}

  static Map<String, NodeImporter> all() {
    return Map.of(
        "Clip", LegacyImporters::clip,
        "Pad", LegacyImporters::pad,
        "Slice", LegacyImporters::slice,
        "Softmax", LegacyImporters::softmax,
        "LogSoftmax", LegacyImporters::softmax,
        "Hardmax", LegacyImporters::softmax,
        "TopK", LegacyImporters::topK,
        "Dropout", LegacyImporters::dropout,
        "BatchNormalization", LegacyImporters::batchNormalization,
        "If", ControlFlowImporters::ifNode);
  }

  /** The ONNX node as the Kiln operator of the same name, attributes and inputs. */
  static void direct(OnnxNode node, NodeEmitter out) {
    apply(node, node.opType(), node.inputs(), node.attributes(), out);
  }

  /** Emits {@code op} for {@code node} and binds the node's ONNX outputs to its results. */
  static void apply(OnnxNode node, String op, List<Optional<Value>> inputs, Attributes attrs,
      NodeEmitter out) {
    List<String> names = node.outputs();
    List<Value> values = out.emit(op, inputs, attrs, names);
    for (int i = 0; i < names.size(); i++) {
      out.bind(names.get(i), values.get(i));
    }
  }

  /** The node's attributes without {@code names}. */
  static Attributes without(Attributes attrs, String... names) {
    Attributes.Builder b = attrs.toBuilder();
    for (String n : names) {
      b.remove(n);
    }
    return b.build();
  }

  static Optional<Attribute> attr(OnnxNode node, String name) {
    return node.attributes().get(name);
  }
}
