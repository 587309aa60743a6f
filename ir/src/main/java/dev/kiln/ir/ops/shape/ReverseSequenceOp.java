package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * ONNX {@code ReverseSequence} (opset 10): for each batch entry b (along {@code batch_axis},
 * default 1), reverses the first {@code sequence_lens[b]} elements along {@code time_axis}
 * (default 0) and keeps the rest. The two axes are 0 and 1 in some order; the input has rank >= 2.
 */
final class ReverseSequenceOp extends OpSchema {
  static final ReverseSequenceOp INSTANCE = new ReverseSequenceOp();

  private ReverseSequenceOp() {
    super(
        "ReverseSequence",
        2,
        2,
        1,
        1,
        List.of(
            AttrSpec.optional("batch_axis", Attribute.of(1L)),
            AttrSpec.optional("time_axis", Attribute.of(0L))));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.type(0);
    if (x.rank() < 2) {
      throw OpException.of("input 0 must have rank >= 2, got %s", x);
    }
    long batch = ctx.attrs().getInt("batch_axis", 1);
    long time = ctx.attrs().getInt("time_axis", 0);
    if (!((batch == 0 && time == 1) || (batch == 1 && time == 0))) {
      throw OpException.of(
          "attributes 'batch_axis' = %d and 'time_axis' = %d must be 0 and 1 in some order",
          batch, time);
    }
    int length = IntInputs.length1D(ctx, 1, "sequence_lens", DType.I64);
    Dim batchDim = x.shape().dim((int) batch);
    if (length >= 0 && batchDim instanceof Dim.Known k && k.size() != length) {
      throw OpException.of(
          "input 1 (sequence_lens) %s must have one length per batch entry of input 0 %s",
          ctx.type(1), x);
    }
    return List.of(x);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    inferTypes(Layout.asInference(ctx));
    Tensor x = ctx.input(0);
    Tensor lens = ctx.input(1);
    int batchAxis = (int) ctx.attrs().getInt("batch_axis", 1);
    int timeAxis = (int) ctx.attrs().getInt("time_axis", 0);
    long[] shape = x.shape();
    long[] strides = Shapes.strides(shape);
    for (long b = 0; b < shape[batchAxis]; b++) {
      long len = lens.getLong(b);
      if (len < 0 || len > shape[timeAxis]) {
        throw OpException.of(
            "input 1 (sequence_lens) has length %d for batch entry %d, outside [0, %d]",
            len, b, shape[timeAxis]);
      }
    }
    TensorWriter w = TensorWriter.of(x.dtype(), shape);
    for (long e = 0; e < x.size(); e++) {
      long[] coords = Layout.unravel(e, shape);
      long len = lens.getLong(coords[batchAxis]);
      if (coords[timeAxis] < len) {
        coords[timeAxis] = len - 1 - coords[timeAxis];
      }
      w.copyElement(x, Layout.offset(coords, strides), e);
    }
    return List.of(w.build());
  }
}
