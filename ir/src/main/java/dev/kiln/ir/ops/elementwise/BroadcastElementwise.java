package dev.kiln.ir.ops.elementwise;

import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.util.List;
import java.util.Optional;
import java.util.function.DoubleBinaryOperator;
import java.util.function.LongBinaryOperator;

/**
 * An operator combining elements of two or more tensors of one element type under NumPy
 * broadcasting: binary arithmetic, comparisons, logic, and the variadic Max, Min, Sum and Mean
 * (which fold their inputs left to right). The output has the broadcast shape and the inputs'
 * element type, or bool for comparisons.
 */
final class BroadcastElementwise extends OpSchema {

  /**
   * The arithmetic of one application. Floating-point elements go through {@code real} in
   * double precision, rounded once on store; integer and bool elements through {@code integer}
   * (exact, wrapping to the element type on store) when present, else through {@code real}.
   * Comparisons return 1 for true and 0 for false. An integer function may throw
   * {@link ArithmeticException} with a message such as "integer division by zero"; the caller
   * names the element.
   */
  record Kernel(DoubleBinaryOperator real, Optional<LongBinaryOperator> integer) {
    static Kernel real(DoubleBinaryOperator real) {
      return new Kernel(real, Optional.empty());
    }

    static Kernel of(DoubleBinaryOperator real, LongBinaryOperator integer) {
      return new Kernel(real, Optional.of(integer));
    }

    /** For operators that accept only integer or bool element types. */
    static Kernel integer(LongBinaryOperator integer) {
      DoubleBinaryOperator none =
          (x, y) -> {
            throw new IllegalStateException("an integer-only kernel was given real elements");
          };
      return new Kernel(none, Optional.of(integer));
    }

    /**
     * Makes the kernel of one application from its attributes and element type; throws
     * {@link OpException} for attribute values the operator does not accept for that type.
     */
    @FunctionalInterface
    interface Factory {
      Kernel create(AttrReader attrs, DType dtype);
    }
  }

  /** What the folded value becomes. */
  enum Result {
    /** The folded value, in the inputs' element type. */
    FOLD,
    /** The folded value divided by the number of inputs (Mean). */
    MEAN,
    /** A bool: whether the (binary) kernel returned non-zero. */
    PREDICATE
  }

  private final ElementTypes accepts;
  private final Result result;
  private final Kernel.Factory kernels;

  BroadcastElementwise(
      String name,
      int minInputs,
      int maxInputs,
      ElementTypes accepts,
      List<AttrSpec> attributes,
      Result result,
      Kernel.Factory kernels) {
    super(name, minInputs, maxInputs, 1, 1, attributes);
    this.accepts = accepts;
    this.result = result;
    this.kernels = kernels;
  }

  /** A binary operator without attributes. */
  static BroadcastElementwise binary(String name, ElementTypes accepts, Kernel.Factory kernels) {
    return new BroadcastElementwise(name, 2, 2, accepts, List.of(), Result.FOLD, kernels);
  }

  /** A binary operator with attributes. */
  static BroadcastElementwise binary(
      String name, ElementTypes accepts, List<AttrSpec> attributes, Kernel.Factory kernels) {
    return new BroadcastElementwise(name, 2, 2, accepts, attributes, Result.FOLD, kernels);
  }

  /** A binary comparison or logical operator: the output is bool. */
  static BroadcastElementwise predicate(
      String name, ElementTypes accepts, Kernel.Factory kernels) {
    return new BroadcastElementwise(name, 2, 2, accepts, List.of(), Result.PREDICATE, kernels);
  }

  /** A variadic operator of one or more inputs, folded left to right. */
  static BroadcastElementwise variadic(
      String name, ElementTypes accepts, Result result, Kernel.Factory kernels) {
    return new BroadcastElementwise(name, 1, VARIADIC, accepts, List.of(), result, kernels);
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType first = accepts.require(ctx, 0);
    for (int i = 1; i < ctx.inputCount(); i++) {
      if (!ctx.hasInput(i)) {
        throw OpException.of("input %d is required but absent", i);
      }
      ctx.requireSameDType(0, i);
    }
    kernels.create(new AttrReader(this, ctx.attrs()), first.dtype()); // rejects bad attributes
    DType out = result == Result.PREDICATE ? DType.BOOL : first.dtype();
    return List.of(new TensorType(out, Broadcasting.inferShapeOfAll(ctx)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    DType outType = inferTypes(Broadcasting.asInference(ctx)).getFirst().dtype();
    List<Tensor> in = ctx.inputs().stream().map(Optional::orElseThrow).toList();
    DType dtype = in.getFirst().dtype();
    Kernel k = kernels.create(new AttrReader(this, ctx.attrs()), dtype);
    int n = in.size();
    Tensor out;
    if (!dtype.isFloating() && k.integer().isPresent()) {
      LongBinaryOperator f = k.integer().get();
      out =
          Broadcasting.map(
              in,
              outType,
              (w, o, idx) -> {
                long acc = in.getFirst().getLong(idx[0]);
                for (int j = 1; j < n; j++) {
                  acc = f.applyAsLong(acc, in.get(j).getLong(idx[j]));
                }
                w.setLong(o, result == Result.MEAN ? acc / n : acc);
              });
    } else {
      DoubleBinaryOperator f = k.real();
      out =
          Broadcasting.map(
              in,
              outType,
              (w, o, idx) -> {
                double acc = in.getFirst().getDouble(idx[0]);
                for (int j = 1; j < n; j++) {
                  acc = f.applyAsDouble(acc, in.get(j).getDouble(idx[j]));
                }
                w.setDouble(o, result == Result.MEAN ? acc / n : acc);
              });
    }
    return List.of(out);
  }
}
