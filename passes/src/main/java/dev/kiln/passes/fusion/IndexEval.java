package dev.kiln.passes.fusion;

import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.UnaryOp;
import dev.kiln.ir.loop.Var;
import java.util.Map;
import java.util.Optional;

/** Evaluates an index expression (integer arithmetic over loop variables) at given variable values. */
final class IndexEval {
  private IndexEval() {}

  /** The value, or empty when {@code e} is not pure index arithmetic (a load, a local, a real). */
  static Optional<Long> eval(Expr e, Map<Var, Long> env) {
    try {
      return Optional.of(value(e, env));
    } catch (IllegalArgumentException | ArithmeticException notIndex) {
      return Optional.empty();
    }
  }

  private static long value(Expr e, Map<Var, Long> env) {
    return switch (e) {
      case Expr.IntConst c -> c.value();
      case Var v -> {
        Long x = env.get(v);
        if (x == null) {
          throw new IllegalArgumentException("unbound " + v);
        }
        yield x;
      }
      case Expr.Unary u when u.op() == UnaryOp.NEG -> -value(u.operand(), env);
      case Expr.Binary b -> {
        long x = value(b.lhs(), env);
        long y = value(b.rhs(), env);
        yield switch (b.op()) {
          case ADD -> x + y;
          case SUB -> x - y;
          case MUL -> x * y;
          case FLOOR_DIV -> Math.floorDiv(x, y);
          case FLOOR_MOD -> Math.floorMod(x, y);
          case MIN -> Math.min(x, y);
          case MAX -> Math.max(x, y);
          default -> throw new IllegalArgumentException("not index arithmetic: " + b.op());
        };
      }
      default -> throw new IllegalArgumentException("not index arithmetic: " + e);
    };
  }
}
