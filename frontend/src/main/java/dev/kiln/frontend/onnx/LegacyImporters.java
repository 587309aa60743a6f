package dev.kiln.frontend.onnx;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Older opsets' forms of operators, rewritten into the form Kiln's operator takes: attributes
 * that later opsets turned into inputs become constant inputs, and the 2-D coercion of
 * {@code Softmax} before opset 13 becomes an explicit flatten and reshape.
 */
final class LegacyImporters {
  private LegacyImporters() {}

  /** Clip before opset 11: {@code min} and {@code max} attributes. */
  static void clip(OnnxNode node, NodeEmitter out) {
    if (node.opset() >= 11) {
      OpImporters.direct(node, out);
      return;
    }
    Value x = requireInput(node, 0, "input");
    List<Optional<Value>> inputs = new ArrayList<>(List.of(Optional.of(x)));
    inputs.add(floatAttrInput(node, "min", x.type().dtype(), out));
    inputs.add(floatAttrInput(node, "max", x.type().dtype(), out));
    OpImporters.apply(node, "Clip", inputs,
        OpImporters.without(node.attributes(), "min", "max"), out);
  }

  /** Pad before opset 11: {@code pads} and {@code value} attributes. */
  static void pad(OnnxNode node, NodeEmitter out) {
    if (node.opset() >= 11) {
      OpImporters.direct(node, out);
      return;
    }
    Value x = requireInput(node, 0, "data");
    long[] pads = node.attributes().getInts("pads")
        .orElseThrow(() -> new InvalidOnnxException("Pad before opset 11 needs attribute 'pads'"));
    Value padsValue = out.constant("pads", Tensor.ofLongs(new long[] {pads.length}, pads));
    float value = node.attributes().getFloat("value", 0f);
    Value valueInput = out.constant("pad_value", Tensor.scalar(x.type().dtype(), value));
    OpImporters.apply(node, "Pad",
        List.of(Optional.of(x), Optional.of(padsValue), Optional.of(valueInput)),
        OpImporters.without(node.attributes(), "pads", "value"), out);
  }

  /** Slice before opset 10: {@code starts}, {@code ends} and {@code axes} attributes. */
  static void slice(OnnxNode node, NodeEmitter out) {
    if (node.opset() >= 10) {
      OpImporters.direct(node, out);
      return;
    }
    Value x = requireInput(node, 0, "data");
    List<Optional<Value>> inputs = new ArrayList<>(List.of(Optional.of(x)));
    for (String name : List.of("starts", "ends", "axes")) {
      Optional<long[]> v = node.attributes().getInts(name);
      if (v.isEmpty() && !name.equals("axes")) {
        throw new InvalidOnnxException("Slice before opset 10 needs attribute '" + name + "'");
      }
      inputs.add(v.map(a -> out.constant(name, Tensor.ofLongs(new long[] {a.length}, a))));
    }
    OpImporters.apply(node, "Slice", inputs,
        OpImporters.without(node.attributes(), "starts", "ends", "axes"), out);
  }

  /**
   * Softmax, LogSoftmax and Hardmax before opset 13 flatten the input to 2-D at {@code axis} (default 1)
   * and normalize each row; from 13 on they normalize along {@code axis} alone. The two agree
   * when the axis is the last one; otherwise the old form is Flatten, the operator, Reshape back.
   */
  static void softmax(OnnxNode node, NodeEmitter out) {
    if (node.opset() >= 13) {
      OpImporters.direct(node, out);
      return;
    }
    Value x = requireInput(node, 0, "input");
    int rank = x.type().rank();
    long axis = node.attributes().getInt("axis", 1);
    if (axis < -rank || axis >= Math.max(rank, 1)) {
      throw new InvalidOnnxException("attribute 'axis' = " + axis + " is out of range for a "
          + "rank-" + rank + " input");
    }
    long normalized = axis < 0 ? axis + rank : axis;
    Attributes rest = OpImporters.without(node.attributes(), "axis");
    if (normalized >= rank - 1) {
      OpImporters.apply(node, node.opType(), List.of(Optional.of(x)),
          rest.toBuilder().put("axis", -1L).build(), out);
      return;
    }
    String base = node.outputs().isEmpty() ? "softmax" : node.outputs().get(0);
    Value shape = out.emit("Shape", List.of(Optional.of(x)), Attributes.EMPTY,
        List.of(base + "_shape")).get(0);
    Value flat = out.emit("Flatten", List.of(Optional.of(x)),
        Attributes.builder().put("axis", normalized).build(), List.of(base + "_2d")).get(0);
    Value rows = out.emit(node.opType(), List.of(Optional.of(flat)),
        rest.toBuilder().put("axis", 1L).build(), List.of(base + "_rows")).get(0);
    OpImporters.apply(node, "Reshape", List.of(Optional.of(rows), Optional.of(shape)),
        Attributes.EMPTY, out);
  }

  /**
   * Dropout before opset 12 has a {@code ratio} attribute (and before 7 {@code is_test});
   * in inference, which is all Kiln does, it is the identity whatever the ratio.
   */
  static void dropout(OnnxNode node, NodeEmitter out) {
    if (node.opset() >= 12) {
      OpImporters.direct(node, out);
      return;
    }
    OpImporters.apply(node, "Dropout", node.inputs().subList(0, Math.min(1, node.inputs().size())),
        OpImporters.without(node.attributes(), "ratio", "is_test"), out);
  }

  /**
   * BatchNormalization before opset 9 has {@code spatial} (default 1, per-channel statistics),
   * and before 7 {@code is_test}. Before opset 14 there is no {@code training_mode}: the outputs
   * say the mode (Y alone in inference; Y, mean, var, saved_mean, saved_var in training), and
   * mean and var are the running statistics that opset 14 calls running_mean and running_var.
   * saved_mean and saved_var, loosely specified ("used to speed up gradient computation"), are
   * rejected rather than guessed.
   */
  static void batchNormalization(OnnxNode node, NodeEmitter out) {
    if (node.opset() >= 14) {
      OpImporters.direct(node, out);
      return;
    }
    Optional<Attribute> spatial = node.attributes().get("spatial");
    if (node.opset() < 9 && spatial.isPresent()
        && !(spatial.get() instanceof Attribute.IntAttr i && i.value() == 1)) {
      throw new InvalidOnnxException("attribute 'spatial' = " + spatial.get()
          + " (per-element statistics) is not supported; only spatial = 1");
    }
    List<String> outputs = node.outputs();
    if (outputs.size() > 3) {
      throw new InvalidOnnxException("outputs 3 and 4 (saved_mean, saved_var) of the training"
          + " form are not supported (the spec leaves them loosely defined); only Y, mean and var."
          + " Leave them unnamed, or export with opset 14 or later");
    }
    Attributes.Builder attrs = OpImporters.without(node.attributes(), "spatial", "is_test")
        .toBuilder();
    if (outputs.size() > 1) {
      attrs.put("training_mode", 1L);
    }
    OpImporters.apply(node, "BatchNormalization", node.inputs(), attrs.build(), out);
  }

  /** TopK before opset 10 has the attribute {@code k} where later opsets have input 1. */
  static void topK(OnnxNode node, NodeEmitter out) {
    if (node.opset() >= 10) {
      OpImporters.direct(node, out);
      return;
    }
    if (!node.attributes().has("k")) {
      throw new InvalidOnnxException("attribute 'k' is required before opset 10");
    }
    Value k = out.constant("k",
        Tensor.ofLongs(new long[] {1}, node.attributes().getInt("k", 0)));
    OpImporters.apply(node, "TopK", List.of(node.input(0), Optional.of(k)),
        OpImporters.without(node.attributes(), "k"), out);
  }

  private static Optional<Value> floatAttrInput(OnnxNode node, String name, DType dtype,
      NodeEmitter out) {
    if (!node.attributes().has(name)) {
      return Optional.empty();
    }
    float v = node.attributes().getFloat(name, 0f);
    return Optional.of(out.constant(name, Tensor.scalar(dtype, v)));
  }

  static Value requireInput(OnnxNode node, int i, String what) {
    return node.input(i).orElseThrow(
        () -> new InvalidOnnxException("input " + i + " (" + what + ") is required but absent"));
  }
}
