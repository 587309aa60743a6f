package dev.kiln.ir.ops.nn;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import java.util.List;

/**
 * ONNX {@code AveragePool} (opsets 11 to 18, which have no dilations): the mean of each window.
 * The divisor counts the input elements of the window, or with {@code count_include_pad} also
 * its taps in the padding (explicit or automatic, but not the overhang that ceil mode adds past
 * the end padding, as onnxruntime and PyTorch count).
 */
final class AveragePool extends WindowPool {
  static final AveragePool INSTANCE = new AveragePool();

  private AveragePool() {
    super(
        "AveragePool",
        1,
        List.of(AttrSpec.optional("count_include_pad", Attribute.of(0L))),
        DType.F16,
        DType.F32,
        DType.F64);
  }

  @Override
  void checkAttributes(Attributes attrs, SlidingWindow window) {
    NnChecks.flag(attrs.getInt("count_include_pad", 0), "count_include_pad");
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    SlidingWindow window = window(ctx.attrs(), x.rank());
    boolean includePad =
        NnChecks.flag(ctx.attrs().getInt("count_include_pad", 0), "count_include_pad");
    Pooling pooling = new Pooling(x, window);
    long inPlane = pooling.inPlane();
    long outPlane = pooling.outPlane();
    TensorWriter out = TensorWriter.of(x.dtype(), pooling.outputShape());
    pooling.forEachWindow((p, o, position, tapOffsets) -> {
      double sum = 0;
      long count = 0;
      for (long at : tapOffsets) {
        if (at >= 0) {
          sum += x.getDouble(p * inPlane + at);
          count++;
        }
      }
      long divisor = includePad ? pooling.placement().tapsWithinPadding(position) : count;
      out.setDouble(p * outPlane + o, sum / divisor);
    });
    return List.of(out.build());
  }
}
