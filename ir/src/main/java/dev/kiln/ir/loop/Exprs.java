package dev.kiln.ir.loop;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.type.DType;
import java.util.List;

/**
 * Factories for expressions that fold the trivial cases ({@code x + 0}, {@code x * 1},
 * constant arithmetic on indices), so lowered and scheduled IR stays readable.
 */
public final class Exprs {
  private Exprs() {}

  public static Expr.IntConst index(long value) {
    return new Expr.IntConst(DType.I32, value);
  }

  public static Expr constant(DType type, double value) {
    return type.isFloating() ? new Expr.FloatConst(type, value) : new Expr.IntConst(type, (long) value);
  }

  public static Expr add(Expr a, Expr b) {
    if (isConst(a, 0)) {
      return b;
    }
    if (isConst(b, 0)) {
      return a;
    }
    if (a instanceof Expr.IntConst x && b instanceof Expr.IntConst y && a.type() == DType.I32) {
      return index(x.value() + y.value());
    }
    return new Expr.Binary(BinaryOp.ADD, a, b);
  }

  public static Expr sub(Expr a, Expr b) {
    if (isConst(b, 0)) {
      return a;
    }
    if (a instanceof Expr.IntConst x && b instanceof Expr.IntConst y && a.type() == DType.I32) {
      return index(x.value() - y.value());
    }
    return new Expr.Binary(BinaryOp.SUB, a, b);
  }

  public static Expr mul(Expr a, Expr b) {
    if (a.type() == DType.I32) {
      if (isConst(a, 0) || isConst(b, 0)) {
        return index(0);
      }
      if (a instanceof Expr.IntConst x && b instanceof Expr.IntConst y) {
        return index(x.value() * y.value());
      }
    }
    if (isConst(a, 1)) {
      return b;
    }
    if (isConst(b, 1)) {
      return a;
    }
    return new Expr.Binary(BinaryOp.MUL, a, b);
  }

  public static Expr binary(BinaryOp op, Expr a, Expr b) {
    return switch (op) {
      case ADD -> add(a, b);
      case SUB -> sub(a, b);
      case MUL -> mul(a, b);
      default -> new Expr.Binary(op, a, b);
    };
  }

  public static Expr lt(Expr a, Expr b) {
    return new Expr.Binary(BinaryOp.LT, a, b);
  }

  public static Expr and(Expr a, Expr b) {
    return new Expr.Binary(BinaryOp.AND, a, b);
  }

  public static Expr call(Intrinsic fn, Expr... args) {
    return new Expr.Call(fn, ImmutableList.copyOf(args));
  }

  public static Expr.Load load(Buffer buffer, List<? extends Expr> indices) {
    return new Expr.Load(buffer, ImmutableList.copyOf(indices));
  }

  public static Expr.Load load(Buffer buffer, Expr... indices) {
    return new Expr.Load(buffer, ImmutableList.copyOf(indices));
  }

  public static Expr cast(DType to, Expr e) {
    return e.type() == to ? e : new Expr.Cast(to, e);
  }

  public static Expr select(Expr condition, Expr ifTrue, Expr ifFalse) {
    return new Expr.Select(condition, ifTrue, ifFalse);
  }

  /**
   * The operations an expression computes, for code generators that weigh writing it out many
   * times: one per arithmetic, comparison, cast and select node, and {@link #MATH_CALL_OPERATIONS}
   * per math function other than {@code abs}, {@code floor}, {@code ceil} and {@code fma}
   * (exponentials, tanh, erf and the like are polynomial evaluations or library calls). Loads,
   * locals and constants are free.
   */
  public static int operations(Expr e) {
    return switch (e) {
      case Expr.Binary b -> 1 + operations(b.lhs()) + operations(b.rhs());
      case Expr.Unary u -> 1 + operations(u.operand());
      case Expr.Cast c -> 1 + operations(c.operand());
      case Expr.Select s -> 1 + operations(s.condition()) + operations(s.ifTrue()) + operations(s.ifFalse());
      case Expr.Call c -> {
        int own = switch (c.fn()) {
          case ABS, FLOOR, CEIL, FMA -> 1;
          default -> MATH_CALL_OPERATIONS;
        };
        for (Expr a : c.args()) {
          own += operations(a);
        }
        yield own;
      }
      default -> 0;
    };
  }

  /** What {@link #operations} counts for a math function such as {@code exp} or {@code tanh}. */
  public static final int MATH_CALL_OPERATIONS = 16;

  private static boolean isConst(Expr e, long v) {
    return (e instanceof Expr.IntConst c && c.value() == v)
        || (e instanceof Expr.FloatConst f && f.value() == v);
  }
}
