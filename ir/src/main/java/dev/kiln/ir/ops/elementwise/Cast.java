package dev.kiln.ir.ops.elementwise;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * ONNX Cast to the element type with ONNX code {@code to}. Reals to integers truncate toward zero
 * (out-of-range values are undefined in ONNX; here they saturate to i64 and then wrap to the
 * target width); integers to narrower integers wrap; to f16/bf16 rounds to nearest even; to bool
 * is "non-zero" (so NaN is true). The opset-19 {@code saturate} attribute is accepted and
 * ignored: it only concerns float8 types, which Kiln does not have.
 */
final class Cast extends OpSchema {
  Cast() {
    super(
        "Cast",
        1,
        1,
        1,
        1,
        List.of(
            AttrSpec.required("to", AttributeKind.INT),
            AttrSpec.optional("saturate", Attribute.of(1L))));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ElementTypes.ANY.require(ctx, 0);
    return List.of(new TensorType(target(ctx.attrs().getInt("to", -1)), x.shape()));
  }

  static DType target(long code) {
    if (code >= Integer.MIN_VALUE && code <= Integer.MAX_VALUE) {
      var dtype = DType.fromOnnxCode((int) code);
      if (dtype.isPresent()) {
        return dtype.get();
      }
    }
    throw OpException.of(
        "attribute 'to' is %d, which is not an ONNX data type code Kiln supports; supported: %s",
        code,
        Arrays.stream(DType.values())
            .sorted((a, b) -> Integer.compare(a.onnxCode(), b.onnxCode()))
            .map(t -> t.onnxCode() + " (" + t + ")")
            .collect(Collectors.joining(", ")));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    DType to = inferTypes(Broadcasting.asInference(ctx)).getFirst().dtype();
    return List.of(convert(ctx.input(0), to));
  }

  /** {@code x} converted to {@code to} with ONNX Cast semantics. */
  static Tensor convert(Tensor x, DType to) {
    DType from = x.dtype();
    TensorWriter w = TensorWriter.of(to, x.shape());
    for (long i = 0; i < w.size(); i++) {
      if (from == to) {
        w.copyElement(x, i, i);
      } else if (to == DType.BOOL) {
        w.setBoolean(i, x.getBoolean(i));
      } else if (from.isFloating()) {
        w.setDouble(i, x.getDouble(i)); // rounds to a real type, truncates to an integer type
      } else if (!to.isFloating()) {
        w.setLong(i, x.getLong(i)); // integer to integer: keep the low bits
      } else if (from == DType.U64) {
        w.setDouble(i, x.getDouble(i)); // getDouble reads u64 as unsigned
      } else if (to == DType.F32) {
        w.setDouble(i, (float) x.getLong(i)); // one rounding, not long -> double -> float
      } else {
        w.setLong(i, x.getLong(i));
      }
    }
    return w.build();
  }
}
