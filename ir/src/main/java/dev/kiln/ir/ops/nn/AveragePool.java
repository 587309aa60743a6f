package dev.kiln.ir.ops.nn;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.AttributeKind;
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
        List.of(
            AttrSpec.optional("auto_pad", Attribute.of("NOTSET")),
            AttrSpec.optional("ceil_mode", Attribute.of(0L)),
            AttrSpec.optional("count_include_pad", Attribute.of(0L)),
            AttrSpec.required("kernel_shape", AttributeKind.INTS),
            AttrSpec.optional("pads", AttributeKind.INTS),
            AttrSpec.optional("strides", AttributeKind.INTS)),
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
    long[] inSpatial = NnChecks.spatialSizes(x.shape());
    SlidingWindow.Placement placement = window.place(inSpatial, 2, "input 0 (X) " + x.type());
    long[] outSpatial = placement.outputShape();
    long[] kernel = window.kernel();
    long planes = x.dim(0) * x.dim(1);
    long inPlane = NdIndex.size(inSpatial);
    long outPlane = NdIndex.size(outSpatial);
    long taps = NdIndex.size(kernel);
    TensorWriter out = TensorWriter.of(x.dtype(), outputShape(x, placement));
    long[] position = new long[kernel.length];
    long[] tap = new long[kernel.length];
    for (long p = 0; p < planes; p++) {
      for (long o = 0; o < outPlane; o++) {
        NdIndex.unravel(o, outSpatial, position);
        double sum = 0;
        long count = 0;
        for (long k = 0; k < taps; k++) {
          NdIndex.unravel(k, kernel, tap);
          long at = placement.inputOffset(position, tap);
          if (at >= 0) {
            sum += x.getDouble(p * inPlane + at);
            count++;
          }
        }
        long divisor = includePad ? placement.tapsWithinPadding(position) : count;
        out.setDouble(p * outPlane + o, sum / divisor);
      }
    }
    return List.of(out.build());
  }
}
