package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
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
import java.util.Optional;

/**
 * ONNX {@code Reshape} (opset 14): input 1 is the new shape, where 0 copies the input's dim at that
 * index (unless {@code allowzero=1}, which makes 0 a real size) and one -1 is inferred from the
 * element count. Symbolic dims survive when copied by 0 or when the -1 is inferred from them.
 */
final class ReshapeOp extends OpSchema {
  static final ReshapeOp INSTANCE = new ReshapeOp();

  private ReshapeOp() {
    super("Reshape", 2, 2, 1, 1, List.of(AttrSpec.optional("allowzero", Attribute.of(0L))));
  }

  @Override
  public boolean readsAtCompileTime(int slot) {
    // Input 1 (shape) decides the output shape.
    return slot == 1;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType data = ctx.type(0);
    boolean allowZero = IntInputs.flag(ctx, "allowzero", 0);
    int length = IntInputs.staticLength1D(ctx, 1, "shape", DType.I64);
    Optional<long[]> requested = IntInputs.values(ctx, 1);
    Shape out =
        requested.isPresent()
            ? resolve(data.shape(), requested.get(), allowZero)
            : Shape.of(DimMath.unknown(length));
    return List.of(new TensorType(data.dtype(), out));
  }

  /** The output shape for a known requested shape. */
  static Shape resolve(Shape in, long[] requested, boolean allowZero) {
    List<Dim> out = new ArrayList<>();
    int inferred = -1;
    boolean hasZero = false;
    for (int i = 0; i < requested.length; i++) {
      long v = requested[i];
      if (v == -1) {
        if (inferred >= 0) {
          throw OpException.of(
              "input 1 (shape) = %s has more than one -1", Arrays.toString(requested));
        }
        inferred = i;
        out.add(Dim.UNKNOWN);
      } else if (v < -1) {
        throw OpException.of(
            "input 1 (shape) = %s has invalid size %d at index %d",
            Arrays.toString(requested), v, i);
      } else if (v == 0 && !allowZero) {
        if (i >= in.rank()) {
          throw OpException.of(
              "input 1 (shape) = %s copies input dim %d with 0, but input 0 has shape %s",
              Arrays.toString(requested), i, in);
        }
        out.add(in.dim(i));
      } else {
        hasZero |= v == 0;
        out.add(Dim.of(v));
      }
    }
    if (inferred >= 0) {
      if (hasZero) {
        throw OpException.of(
            "input 1 (shape) = %s has both 0 and -1, which allowzero=1 does not allow",
            Arrays.toString(requested));
      }
      List<Dim> others = new ArrayList<>(out);
      others.remove(inferred);
      if (others.contains(Dim.of(0))) {
        throw OpException.of(
            "cannot reshape input 0 of shape %s to %s: the -1 is ambiguous when another size is 0",
            in, Arrays.toString(requested));
      }
      switch (DimMath.quotient(in.dims(), others)) {
        case DimMath.Quotient.Exact e -> out.set(inferred, e.dim());
        case DimMath.Quotient.NotDivisible nd ->
            throw OpException.of(
                "cannot reshape input 0 of shape %s (%d elements) to %s: %d is not a multiple of %d",
                in, nd.dividend(), Arrays.toString(requested), nd.dividend(), nd.divisor());
      }
    } else if (DimMath.certainlyDifferent(in.dims(), out)) {
      Shape outShape = Shape.of(out);
      throw in.isStatic() && outShape.isStatic()
          ? OpException.of(
              "cannot reshape input 0 of shape %s (%d elements) to %s (%d elements)",
              in, in.elementCount(), outShape, outShape.elementCount())
          : OpException.of(
              "cannot reshape input 0 of shape %s to %s: the element counts differ",
              in, outShape);
    }
    return Shape.of(out);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    TensorType out = inferTypes(Layout.asInference(ctx)).get(0);
    return List.of(ctx.input(0).reshape(Layout.sizes(out)));
  }
}
