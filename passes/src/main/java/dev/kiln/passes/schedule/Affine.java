package dev.kiln.passes.schedule;

import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.UnaryOp;
import dev.kiln.ir.loop.Var;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * An index expression as {@code sum(coefficient * atom) + constant}, where an atom is a loop
 * variable or a {@code floordiv}/{@code floormod} by a positive constant (what fusing produces).
 * Anything else (loads, locals, products of variables, min/max) has no affine form.
 *
 * <p>The one reading of index expressions as affine forms: the scheduler's dependence, layout and
 * vectorization checks, and fusion's index simplifier and copy folding ({@link #ofVariables}).
 * Terms with a zero coefficient are dropped; the terms keep the order they first appear in.
 */
public record Affine(Map<Expr, Long> terms, long constant) {

  public Affine {
    terms = Collections.unmodifiableMap(terms);
  }

  public static Optional<Affine> of(Expr e) {
    Map<Expr, Long> terms = new LinkedHashMap<>();
    long[] constant = {0};
    return collect(e, 1, terms, constant)
        ? Optional.of(new Affine(withoutZeros(terms), constant[0])) : Optional.empty();
  }

  /** The affine form of {@code e} in loop variables alone (no floordiv/floormod atoms). */
  public static Optional<Affine> ofVariables(Expr e) {
    return of(e).filter(a -> a.terms.keySet().stream().allMatch(atom -> atom instanceof Var));
  }

  public long coefficient(Expr atom) {
    return terms.getOrDefault(atom, 0L);
  }

  private static boolean collect(Expr e, long scale, Map<Expr, Long> terms, long[] constant) {
    switch (e) {
      case Expr.IntConst c -> {
        constant[0] += scale * c.value();
        return true;
      }
      case Var v -> {
        terms.merge(v, scale, Long::sum);
        return true;
      }
      case Expr.Unary u when u.op() == UnaryOp.NEG -> {
        return collect(u.operand(), -scale, terms, constant);
      }
      case Expr.Binary b -> {
        switch (b.op()) {
          case ADD -> {
            return collect(b.lhs(), scale, terms, constant) && collect(b.rhs(), scale, terms, constant);
          }
          case SUB -> {
            return collect(b.lhs(), scale, terms, constant) && collect(b.rhs(), -scale, terms, constant);
          }
          case MUL -> {
            if (b.rhs() instanceof Expr.IntConst c) {
              return collect(b.lhs(), scale * c.value(), terms, constant);
            }
            if (b.lhs() instanceof Expr.IntConst c) {
              return collect(b.rhs(), scale * c.value(), terms, constant);
            }
            return false;
          }
          case FLOOR_DIV, FLOOR_MOD -> {
            if (b.rhs() instanceof Expr.IntConst c && c.value() > 0 && Affine.of(b.lhs()).isPresent()) {
              terms.merge(b, scale, Long::sum);
              return true;
            }
            return false;
          }
          default -> {
            return false;
          }
        }
      }
      default -> {
        return false;
      }
    }
  }

  private static Map<Expr, Long> withoutZeros(Map<Expr, Long> terms) {
    terms.values().removeIf(c -> c == 0);
    return terms;
  }

  /** Is {@code atom} a floordiv or floormod by a constant, and of which kind. */
  static boolean isDivMod(Expr atom, BinaryOp op) {
    return atom instanceof Expr.Binary b && b.op() == op;
  }
}
