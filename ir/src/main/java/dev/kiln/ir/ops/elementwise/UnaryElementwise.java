package dev.kiln.ir.ops.elementwise;

import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.util.List;
import java.util.Optional;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * An operator applied to each element of one tensor: the output has the input's shape and either
 * its element type or bool. An operator is its name, the element types it accepts, its attributes
 * and a {@link Kernel.Factory}; everything else (checks, inference, the evaluation loop) is here.
 */
final class UnaryElementwise extends OpSchema {

  /**
   * The arithmetic of one application. Floating-point elements go through {@code real} in
   * double precision and are rounded once on store; integer and bool elements go through
   * {@code integer} when it is present (exact, wrapping to the element type on store), otherwise
   * through {@code real} with the result truncated toward zero like ONNX Cast.
   */
  record Kernel(DoubleUnaryOperator real, Optional<LongUnaryOperator> integer) {
    static Kernel real(DoubleUnaryOperator real) {
      return new Kernel(real, Optional.empty());
    }

    static Kernel of(DoubleUnaryOperator real, LongUnaryOperator integer) {
      return new Kernel(real, Optional.of(integer));
    }

    /**
     * Makes the kernel of one application from its attributes and input element type; throws
     * {@link dev.kiln.ir.op.OpException} for attribute values the operator does not accept.
     */
    @FunctionalInterface
    interface Factory {
      Kernel create(AttrReader attrs, DType dtype);
    }
  }

  private final ElementTypes accepts;
  private final boolean boolOutput;
  private final Kernel.Factory kernels;

  UnaryElementwise(
      String name,
      ElementTypes accepts,
      List<AttrSpec> attributes,
      boolean boolOutput,
      Kernel.Factory kernels) {
    super(name, 1, 1, 1, 1, attributes);
    this.accepts = accepts;
    this.boolOutput = boolOutput;
    this.kernels = kernels;
  }

  /** A floating-point-only operator without attributes. */
  static UnaryElementwise floating(String name, DoubleUnaryOperator real) {
    return new UnaryElementwise(
        name, ElementTypes.FLOATING, List.of(), false, (a, t) -> Kernel.real(real));
  }

  /** A floating-point-only operator whose function depends on its attributes. */
  static UnaryElementwise floating(
      String name, List<AttrSpec> attributes, Kernel.Factory kernels) {
    return new UnaryElementwise(name, ElementTypes.FLOATING, attributes, false, kernels);
  }

  /** An operator over the given types with an exact integer path. */
  static UnaryElementwise exact(
      String name, ElementTypes accepts, DoubleUnaryOperator real, LongUnaryOperator integer) {
    return new UnaryElementwise(
        name, accepts, List.of(), false, (a, t) -> Kernel.of(real, integer));
  }

  /** A floating-point predicate, such as IsNaN: the output is bool. */
  static UnaryElementwise predicate(
      String name, List<AttrSpec> attributes, Kernel.Factory kernels) {
    return new UnaryElementwise(name, ElementTypes.FLOATING, attributes, true, kernels);
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = accepts.require(ctx, 0);
    kernels.create(new AttrReader(this, ctx.attrs()), x.dtype()); // rejects bad attribute values
    return List.of(new TensorType(boolOutput ? DType.BOOL : x.dtype(), x.shape()));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    DType outType = inferTypes(Broadcasting.asInference(ctx)).getFirst().dtype();
    Tensor x = ctx.input(0);
    Kernel k = kernels.create(new AttrReader(this, ctx.attrs()), x.dtype());
    TensorWriter w = TensorWriter.of(outType, x.shape());
    if (!x.dtype().isFloating() && k.integer().isPresent()) {
      LongUnaryOperator f = k.integer().get();
      for (long i = 0; i < w.size(); i++) {
        w.setLong(i, f.applyAsLong(x.getLong(i)));
      }
    } else {
      for (long i = 0; i < w.size(); i++) {
        w.setDouble(i, k.real().applyAsDouble(x.getDouble(i)));
      }
    }
    return List.of(w.build());
  }
}
