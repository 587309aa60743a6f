package dev.kiln.ir.loop;

import dev.kiln.ir.type.DType;
import java.util.Optional;

/**
 * A loop body that is one f32 reduction step, {@code acc = acc + e}, {@code max(acc, e)} or
 * {@code min(acc, e)} with {@code e} not reading {@code acc}: what softmax, LayerNorm and
 * ReduceSum/Max/Mean over a row lower to. Such a loop may be vectorized although it carries
 * {@code acc} from one iteration to the next: each lane accumulates its own partial result and the
 * lanes are combined after the loop (which reassociates a sum; max and min are exact).
 */
public record LaneReduction(Local acc, BinaryOp op, Expr operand) {

  /** The reduction step that {@code body} is, or empty. */
  public static Optional<LaneReduction> of(Stmt body) {
    if (!(body instanceof Stmt.Assign a) || a.local().type() != DType.F32
        || !(a.value() instanceof Expr.Binary b)
        || !(b.op() == BinaryOp.ADD || b.op() == BinaryOp.MAX || b.op() == BinaryOp.MIN)) {
      return Optional.empty();
    }
    Expr operand;
    if (b.lhs().equals(a.local())) {
      operand = b.rhs();
    } else if (b.rhs().equals(a.local())) {
      operand = b.lhs();
    } else {
      return Optional.empty();
    }
    return reads(operand, a.local()) ? Optional.empty()
        : Optional.of(new LaneReduction(a.local(), b.op(), operand));
  }

  /** The value every lane starts from: 0 for a sum, -inf for max, +inf for min. */
  public float identity() {
    return switch (op) {
      case ADD -> 0f;
      case MAX -> Float.NEGATIVE_INFINITY;
      default -> Float.POSITIVE_INFINITY;
    };
  }

  private static boolean reads(Expr e, Local l) {
    return switch (e) {
      case Local x -> x.equals(l);
      case Expr.Load x -> x.indices().stream().anyMatch(i -> reads(i, l));
      case Expr.Binary x -> reads(x.lhs(), l) || reads(x.rhs(), l);
      case Expr.Unary x -> reads(x.operand(), l);
      case Expr.Call x -> x.args().stream().anyMatch(i -> reads(i, l));
      case Expr.Cast x -> reads(x.operand(), l);
      case Expr.Select x -> reads(x.condition(), l) || reads(x.ifTrue(), l) || reads(x.ifFalse(), l);
      default -> false;
    };
  }
}
