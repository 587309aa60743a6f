package dev.kiln.ir.ops.elementwise;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The loops shared by the elementwise reference semantics: NumPy broadcasting of any number of
 * inputs, and the check that an evaluation's inputs pass the same inference as a graph's.
 */
final class Broadcasting {
  private Broadcasting() {}

  /** Computes one output element from the flat indices of the inputs it reads. */
  @FunctionalInterface
  interface ElementFunction {
    void compute(TensorWriter out, long outIndex, long[] inIndices);
  }

  /** The broadcast shape of the given inputs (all present), symbolic dims included. */
  static Shape inferShape(InferenceContext ctx, int... inputs) {
    List<Shape> shapes = new ArrayList<>();
    for (int i : inputs) {
      shapes.add(ctx.type(i).shape());
    }
    return Shapes.broadcast(shapes);
  }

  /** The broadcast shape of every input of the application (which must all be present). */
  static Shape inferShapeOfAll(InferenceContext ctx) {
    int[] all = new int[ctx.inputCount()];
    for (int i = 0; i < all.length; i++) {
      if (!ctx.hasInput(i)) {
        throw OpException.of("input %d is required but absent", i);
      }
      all[i] = i;
    }
    return inferShape(ctx, all);
  }

  /**
   * A tensor of the broadcast shape of {@code inputs} whose elements {@code f} computes. An
   * {@link ArithmeticException} from {@code f} (integer division by zero and the like) becomes an
   * {@link OpException} naming the output element.
   */
  static Tensor map(List<Tensor> inputs, DType outType, ElementFunction f) {
    long[][] shapes = inputs.stream().map(Tensor::shape).toArray(long[][]::new);
    long[] outShape = Shapes.broadcast(shapes);
    TensorWriter w = TensorWriter.of(outType, outShape);
    long[] inIndices = new long[inputs.size()];
    for (long o = 0; o < w.size(); o++) {
      for (int k = 0; k < shapes.length; k++) {
        inIndices[k] = Shapes.broadcastIndex(o, outShape, shapes[k]);
      }
      try {
        f.compute(w, o, inIndices);
      } catch (ArithmeticException e) {
        throw OpException.of(
            "%s at output index %s", e.getMessage(), Arrays.toString(coordinates(o, outShape)));
      }
    }
    return w.build();
  }

  /** The row-major coordinates of flat index {@code index} in {@code shape}. */
  static long[] coordinates(long index, long[] shape) {
    long[] coords = new long[shape.length];
    long rest = index;
    for (int d = shape.length - 1; d >= 0; d--) {
      coords[d] = rest % shape[d];
      rest /= shape[d];
    }
    return coords;
  }

  /**
   * The evaluation's inputs seen as a compile-time application with every input constant, so that
   * the reference semantics reject exactly what shape inference rejects, with the same messages.
   */
  static InferenceContext asInference(EvalContext ctx) {
    ImmutableList.Builder<Optional<TensorType>> types = ImmutableList.builder();
    for (Optional<Tensor> t : ctx.inputs()) {
      types.add(t.map(Tensor::type));
    }
    return new InferenceContext(
        ctx.op(), ctx.attrs(), types.build(), ctx.inputs(), ctx.outputCount());
  }
}
