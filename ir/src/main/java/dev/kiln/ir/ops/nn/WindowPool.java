package dev.kiln.ir.ops.nn;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What MaxPool and AveragePool share: a required {@code kernel_shape}, the window attributes of
 * {@link SlidingWindow}, and output [N, C, O1, ...] of the input's type.
 */
abstract class WindowPool extends OpSchema {
  private final DType[] types;

  WindowPool(String name, int maxOutputs, List<AttrSpec> attributes, DType... types) {
    super(name, 1, 1, 1, maxOutputs, attributes);
    this.types = types;
  }

  /** The window of this application for an input of the given rank. */
  static SlidingWindow window(Attributes attrs, int rank) {
    long[] kernel =
        attrs
            .getInts("kernel_shape")
            .orElseThrow(() -> OpException.of("attribute 'kernel_shape' is required"));
    int spatial = rank - 2;
    if (kernel.length != spatial) {
      throw OpException.of(
          "attribute 'kernel_shape' must have %d values for a %d-D pooling, got %s",
          spatial, spatial, Arrays.toString(kernel));
    }
    SlidingWindow window = SlidingWindow.fromAttributes(attrs, kernel, "pooling");
    window.requirePadsSmallerThanWindow();
    return window;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = NnChecks.requireImage(ctx.requireDType(0, types), 1);
    SlidingWindow window = window(ctx.attrs(), x.rank());
    checkAttributes(ctx.attrs(), window);
    List<Dim> out = new ArrayList<>(List.of(x.shape().dim(0), x.shape().dim(1)));
    out.addAll(window.outputDims(NnChecks.spatialDims(x), 2, "input 0 (X) " + x));
    Shape shape = Shape.of(out);
    List<TensorType> types = new ArrayList<>(List.of(new TensorType(x.dtype(), shape)));
    if (ctx.outputCount() == 2) {
      types.add(new TensorType(DType.I64, shape));
    }
    return types;
  }

  /** Checks the attributes only this pooling has. */
  abstract void checkAttributes(Attributes attrs, SlidingWindow window);

  /** The output shape [N, C, O1, ...] of pooling {@code x}. */
  static long[] outputShape(Tensor x, SlidingWindow.Placement placement) {
    long[] spatial = placement.outputShape();
    long[] shape = new long[x.rank()];
    shape[0] = x.dim(0);
    shape[1] = x.dim(1);
    System.arraycopy(spatial, 0, shape, 2, spatial.length);
    return shape;
  }
}
