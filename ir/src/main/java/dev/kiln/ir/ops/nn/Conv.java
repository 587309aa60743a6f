package dev.kiln.ir.ops.nn;

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
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * ONNX {@code Conv} (opset 11): N-d grouped convolution (cross-correlation, as in every framework)
 * of X [N, C, D1, ...] with W [M, C / group, k1, ...] plus an optional bias B [M], giving
 * [N, M, O1, ...]. Window geometry is {@link SlidingWindow}'s.
 */
final class Conv extends OpSchema {
  static final Conv INSTANCE = new Conv();

  private Conv() {
    super(
        "Conv",
        2,
        3,
        1,
        1,
        List.of(
            AttrSpec.optional("auto_pad", Attribute.of("NOTSET")),
            AttrSpec.optional("dilations", AttributeKind.INTS),
            AttrSpec.optional("group", Attribute.of(1L)),
            AttrSpec.optional("kernel_shape", AttributeKind.INTS),
            AttrSpec.optional("pads", AttributeKind.INTS),
            AttrSpec.optional("strides", AttributeKind.INTS)));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = NnChecks.requireImage(ctx.requireDType(0, DType.F16, DType.F32, DType.F64), 1);
    TensorType w = ctx.type(1);
    ctx.requireSameDType(0, 1);
    if (w.rank() != x.rank()) {
      throw OpException.of(
          "input 1 (W) must have the same rank as input 0 (X) %s, got %s", x, w);
    }
    long group = group(ctx.attrs().getInt("group", 1));
    checkChannels(x, w, group);
    Dim outChannels = w.shape().dim(0);
    if (ctx.hasInput(2)) {
      ctx.requireSameDType(0, 2);
      TensorType b = ctx.type(2);
      Dim n = b.rank() == 1 ? b.shape().dim(0) : null;
      if (n == null || (n.isKnown() && outChannels.isKnown() && n.size() != outChannels.size())) {
        throw OpException.of(
            "input 2 (B) must be 1-D of size %s (the output channels of W), got %s",
            outChannels, b);
      }
    }
    List<Dim> out = new ArrayList<>(List.of(x.shape().dim(0), outChannels));
    Optional<long[]> kernel = kernel(ctx.attrs().getInts("kernel_shape"), w.shape());
    if (kernel.isPresent()) {
      SlidingWindow window = SlidingWindow.fromAttributes(ctx.attrs(), kernel.get(), "convolution");
      out.addAll(window.outputDims(NnChecks.spatialDims(x), 2, "input 0 (X) " + x));
    } else {
      for (int i = 2; i < x.rank(); i++) {
        out.add(Dim.UNKNOWN);
      }
    }
    return List.of(new TensorType(x.dtype(), Shape.of(out)));
  }

  private static long group(long group) {
    if (group <= 0) {
      throw OpException.of("attribute 'group' must be positive, got %d", group);
    }
    return group;
  }

  private static void checkChannels(TensorType x, TensorType w, long group) {
    Dim c = x.shape().dim(1);
    Dim perGroup = w.shape().dim(1);
    Dim m = w.shape().dim(0);
    if (c.isKnown() && perGroup.isKnown() && c.size() != perGroup.size() * group) {
      throw OpException.of(
          "channel mismatch: input 0 (X) %s has %d channels, but input 1 (W) %s with group %d"
              + " expects %d x %d = %d",
          x, c.size(), w, group, perGroup.size(), group, perGroup.size() * group);
    }
    if (m.isKnown() && m.size() % group != 0) {
      throw OpException.of(
          "group %d does not divide the %d output channels of input 1 (W) %s", group, m.size(), w);
    }
  }

  /**
   * The kernel's spatial size: {@code kernel_shape} if given (it must match W), else W's spatial
   * dims; empty when neither is known.
   */
  private static Optional<long[]> kernel(Optional<long[]> attr, Shape w) {
    int rank = w.rank() - 2;
    List<Dim> spatial = w.dims().subList(2, w.rank());
    if (attr.isPresent()) {
      long[] k = attr.get();
      if (k.length != rank) {
        throw OpException.of(
            "attribute 'kernel_shape' must have %d values for a %d-D convolution, got %s",
            rank, rank, Arrays.toString(k));
      }
      for (int a = 0; a < rank; a++) {
        if (spatial.get(a).isKnown() && spatial.get(a).size() != k[a]) {
          throw OpException.of(
              "attribute 'kernel_shape' %s does not match the spatial dims %s of input 1 (W)",
              Arrays.toString(k), Shape.of(spatial));
        }
      }
      return Optional.of(k);
    }
    if (!Shape.of(spatial).isStatic()) {
      return Optional.empty();
    }
    return Optional.of(Shape.of(spatial).toLongArray());
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    Tensor w = ctx.input(1);
    Optional<Tensor> bias = ctx.optionalInput(2);
    long group = group(ctx.attrs().getInt("group", 1));
    checkChannels(x.type(), w.type(), group);
    long[] kernel = kernel(ctx.attrs().getInts("kernel_shape"), w.type().shape()).orElseThrow();
    SlidingWindow window = SlidingWindow.fromAttributes(ctx.attrs(), kernel, "convolution");
    SlidingWindow.Placement placement =
        window.place(NnChecks.spatialSizes(x.shape()), 2, "input 0 (X) " + x.type());

    long batch = x.dim(0);
    long channels = x.dim(1);
    long outChannels = w.dim(0);
    long perGroup = channels / group;
    long outPerGroup = outChannels / group;
    if (bias.isPresent() && (bias.get().rank() != 1 || bias.get().dim(0) != outChannels)) {
      throw OpException.of(
          "input 2 (B) must be 1-D of size %d (the output channels of W), got %s",
          outChannels, bias.get().type());
    }
    long[] outSpatial = placement.outputShape();
    long inPlane = NdIndex.size(NnChecks.spatialSizes(x.shape()));
    long outPlane = NdIndex.size(outSpatial);
    long taps = NdIndex.size(kernel);

    long[] outShape = new long[x.rank()];
    outShape[0] = batch;
    outShape[1] = outChannels;
    System.arraycopy(outSpatial, 0, outShape, 2, outSpatial.length);
    TensorWriter out = TensorWriter.of(x.dtype(), outShape);
    // Read every element once into arrays: the inner loop then does plain array arithmetic
    // instead of a dtype switch per multiply (the real networks' tests run this on ResNet-18).
    double[] xs = x.toDoubleArray();
    double[] ws = w.toDoubleArray();
    long[] position = new long[kernel.length];
    long[] tap = new long[kernel.length];
    for (long n = 0; n < batch; n++) {
      for (long m = 0; m < outChannels; m++) {
        long g = m / outPerGroup;
        double b = bias.isPresent() ? bias.get().getDouble(m) : 0.0;
        for (long o = 0; o < outPlane; o++) {
          NdIndex.unravel(o, outSpatial, position);
          double acc = b;
          // Taps outside, channels inside: where a tap lands is the same for every channel.
          for (long k = 0; k < taps; k++) {
            NdIndex.unravel(k, kernel, tap);
            long at = placement.inputOffset(position, tap);
            if (at < 0) {
              continue;
            }
            for (long c = 0; c < perGroup; c++) {
              long xPlane = (n * channels + g * perGroup + c) * inPlane;
              acc += xs[(int) (xPlane + at)] * ws[(int) ((m * perGroup + c) * taps + k)];
            }
          }
          out.setDouble((n * outChannels + m) * outPlane + o, acc);
        }
      }
    }
    return List.of(out.build());
  }
}
