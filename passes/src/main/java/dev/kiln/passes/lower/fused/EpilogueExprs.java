package dev.kiln.passes.lower.fused;

import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.ops.elementwise.Epilogue;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.Nests;
import dev.kiln.passes.lower.elementwise.UnaryFunctions;
import java.util.List;

/**
 * The one place where a fused operator's {@link Epilogue} becomes loop IR: whatever computes the
 * core (the textbook lowerings of {@link FusedLowerings}, or a tiled GEMM kernel) calls
 * {@link #apply} on the value it is about to store. The activation is the unfused operator's own
 * scalar function ({@link UnaryFunctions}), so fused and unfused code compute the same thing.
 */
public final class EpilogueExprs {
  private EpilogueExprs() {}

  /** {@code act(x)} for an element {@code x} of type {@code t}; {@code x} without activation. */
  public static Expr activation(Epilogue epilogue, Expr x, DType t) {
    if (epilogue.activation().isEmpty()) {
      return x;
    }
    if (epilogue.clipBounds().isPresent()) {
      float[] b = epilogue.clipBounds().get();
      // As Clip: min(max(x, lo), hi).
      return Nests.min(Nests.max(x, Nests.constant(t, b[0])), Nests.constant(t, b[1]));
    }
    String op = epilogue.unaryOp().orElseThrow();
    return UnaryFunctions.apply(op, x, t, epilogue.unaryAttributes()).orElseThrow(
        () -> new IllegalStateException("no scalar function for activation " + op));
  }

  /** {@code act(value + addends...)}, added left to right as the unfused Adds are. */
  public static Expr apply(Epilogue epilogue, Expr value, List<Expr> addends, DType t) {
    Expr sum = value;
    for (Expr a : addends) {
      sum = Exprs.add(sum, a);
    }
    return activation(epilogue, sum, t);
  }
}
