package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX {@code Constant} (opset 13): a tensor given by exactly one attribute: {@code value} (a
 * tensor), {@code value_float} / {@code value_int} (scalars, f32 / i64) or {@code value_floats} /
 * {@code value_ints} (1-D). The string forms are accepted by the schema only to reject them with a
 * clear message, since Kiln tensors have no string type; {@code sparse_value} has no Kiln
 * attribute kind, so importers reject it before it gets here.
 */
final class ConstantOp extends OpSchema {
  static final ConstantOp INSTANCE = new ConstantOp();

  private static final List<String> VALUE_ATTRIBUTES =
      List.of("value", "value_float", "value_floats", "value_int", "value_ints",
          "value_string", "value_strings");

  private ConstantOp() {
    super(
        "Constant",
        0,
        0,
        1,
        1,
        List.of(
            AttrSpec.optional("value", AttributeKind.TENSOR),
            AttrSpec.optional("value_float", AttributeKind.FLOAT),
            AttrSpec.optional("value_floats", AttributeKind.FLOATS),
            AttrSpec.optional("value_int", AttributeKind.INT),
            AttrSpec.optional("value_ints", AttributeKind.INTS),
            AttrSpec.optional("value_string", AttributeKind.STRING),
            AttrSpec.optional("value_strings", AttributeKind.STRINGS)));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    return List.of(value(ctx).type());
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    return List.of(value(Layout.asInference(ctx)));
  }

  private static Tensor value(InferenceContext ctx) {
    List<String> given = new ArrayList<>();
    for (String name : VALUE_ATTRIBUTES) {
      if (ctx.attrs().has(name)) {
        given.add(name);
      }
    }
    if (given.size() != 1) {
      throw OpException.of(
          "Constant needs exactly one of the attributes %s, got %s",
          String.join(", ", VALUE_ATTRIBUTES.subList(0, 5)),
          given.isEmpty() ? "none" : String.join(", ", given));
    }
    var attrs = ctx.attrs();
    return switch (given.get(0)) {
      case "value" -> attrs.getTensor("value").orElseThrow();
      case "value_float" -> Tensor.ofFloats(new long[0], attrs.getFloat("value_float", 0));
      case "value_floats" -> {
        float[] v = attrs.getFloats("value_floats").orElseThrow();
        yield Tensor.ofFloats(new long[] {v.length}, v);
      }
      case "value_int" -> Tensor.ofLongs(new long[0], attrs.getInt("value_int", 0));
      case "value_ints" -> {
        long[] v = attrs.getInts("value_ints").orElseThrow();
        yield Tensor.ofLongs(new long[] {v.length}, v);
      }
      default ->
          throw OpException.of(
              "attribute '%s' is not supported: Kiln tensors have no string element type",
              given.get(0));
    };
  }
}
