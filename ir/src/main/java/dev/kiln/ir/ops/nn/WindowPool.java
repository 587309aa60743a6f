package dev.kiln.ir.ops.nn;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.AttributeKind;
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
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * What MaxPool and AveragePool share: a required {@code kernel_shape}, the window attributes of
 * {@link SlidingWindow}, output [N, C, O1, ...] of the input's type, and the reference walk over
 * each output's window ({@link #forEachWindow}).
 */
abstract class WindowPool extends OpSchema {
  /** The window attributes every pooling takes. */
  private static final List<AttrSpec> WINDOW_ATTRIBUTES = List.of(
      AttrSpec.optional("auto_pad", Attribute.of("NOTSET")),
      AttrSpec.optional("ceil_mode", Attribute.of(0L)),
      AttrSpec.required("kernel_shape", AttributeKind.INTS),
      AttrSpec.optional("pads", AttributeKind.INTS),
      AttrSpec.optional("strides", AttributeKind.INTS));

  private final DType[] types;

  /** {@code ownAttributes} are those beyond the window's; all are listed by name. */
  WindowPool(String name, int maxOutputs, List<AttrSpec> ownAttributes, DType... types) {
    super(name, 1, 1, 1, maxOutputs, Stream.concat(WINDOW_ATTRIBUTES.stream(), ownAttributes.stream())
        .sorted(Comparator.comparing(AttrSpec::name)).toList());
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

  /** One output element's window: its plane (n * C + c), flat output index and input taps. */
  interface WindowVisitor {
    /**
     * @param position the output element's spatial coordinates
     * @param tapOffsets each tap's flat offset in the input plane, -1 for a tap in the padding
     *     (the arrays are reused from one call to the next)
     */
    void window(long plane, long output, long[] position, long[] tapOffsets);
  }

  /**
   * Pooling input {@code x} with {@code window}: the window placed on X's spatial dims, the sizes
   * the reference kernels walk, and the walk itself.
   */
  record Pooling(Tensor x, SlidingWindow.Placement placement, long[] inSpatial, long[] kernel) {
    Pooling(Tensor x, SlidingWindow window) {
      this(x, window.place(NnChecks.spatialSizes(x.shape()), 2, "input 0 (X) " + x.type()),
          NnChecks.spatialSizes(x.shape()), window.kernel());
    }

    /** The output shape [N, C, O1, ...]. */
    long[] outputShape() {
      long[] spatial = placement.outputShape();
      long[] shape = new long[x.rank()];
      shape[0] = x.dim(0);
      shape[1] = x.dim(1);
      System.arraycopy(spatial, 0, shape, 2, spatial.length);
      return shape;
    }

    long inPlane() {
      return NdIndex.size(inSpatial);
    }

    long outPlane() {
      return NdIndex.size(placement.outputShape());
    }

    /** Visits the output elements in row-major order, each window's taps row-major. */
    void forEachWindow(WindowVisitor visitor) {
      long[] outSpatial = placement.outputShape();
      long planes = x.dim(0) * x.dim(1);
      long outPlane = NdIndex.size(outSpatial);
      long[] position = new long[kernel.length];
      long[] tap = new long[kernel.length];
      long[] tapOffsets = new long[Math.toIntExact(NdIndex.size(kernel))];
      for (long p = 0; p < planes; p++) {
        for (long o = 0; o < outPlane; o++) {
          NdIndex.unravel(o, outSpatial, position);
          for (int k = 0; k < tapOffsets.length; k++) {
            NdIndex.unravel(k, kernel, tap);
            tapOffsets[k] = placement.inputOffset(position, tap);
          }
          visitor.window(p, o, position, tapOffsets);
        }
      }
    }
  }
}
