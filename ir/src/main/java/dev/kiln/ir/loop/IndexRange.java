package dev.kiln.ir.loop;

import java.util.Map;
import java.util.Optional;

/**
 * The closed interval an integer index expression ranges over, given the extents of the loop
 * variables in scope; empty when the analysis cannot bound it (loads of data, unknown locals).
 */
public record IndexRange(long min, long max) {

  public static Optional<IndexRange> of(Expr e, Map<Var, Long> extents) {
    return switch (e) {
      case Expr.IntConst c -> Optional.of(new IndexRange(c.value(), c.value()));
      case Var v -> extents.containsKey(v) && extents.get(v) > 0
          ? Optional.of(new IndexRange(0, extents.get(v) - 1)) : Optional.empty();
      case Expr.Binary b -> binary(b, extents);
      case Expr.Unary u when u.op() == UnaryOp.NEG ->
          of(u.operand(), extents).map(r -> new IndexRange(-r.max, -r.min));
      default -> Optional.empty();
    };
  }

  private static Optional<IndexRange> binary(Expr.Binary b, Map<Var, Long> extents) {
    Optional<IndexRange> lo = of(b.lhs(), extents);
    Optional<IndexRange> ro = of(b.rhs(), extents);
    if (lo.isEmpty() || ro.isEmpty()) {
      return Optional.empty();
    }
    IndexRange l = lo.get();
    IndexRange r = ro.get();
    return switch (b.op()) {
      case ADD -> Optional.of(new IndexRange(l.min + r.min, l.max + r.max));
      case SUB -> Optional.of(new IndexRange(l.min - r.max, l.max - r.min));
      case MUL -> {
        long a = l.min * r.min;
        long c = l.min * r.max;
        long d = l.max * r.min;
        long f = l.max * r.max;
        yield Optional.of(new IndexRange(Math.min(Math.min(a, c), Math.min(d, f)),
            Math.max(Math.max(a, c), Math.max(d, f))));
      }
      case MIN -> Optional.of(new IndexRange(Math.min(l.min, r.min), Math.min(l.max, r.max)));
      case MAX -> Optional.of(new IndexRange(Math.max(l.min, r.min), Math.max(l.max, r.max)));
      case FLOOR_DIV, DIV -> r.min == r.max && r.min > 0 && (b.op() == BinaryOp.FLOOR_DIV || l.min >= 0)
          ? Optional.of(new IndexRange(Math.floorDiv(l.min, r.min), Math.floorDiv(l.max, r.min)))
          : Optional.empty();
      case FLOOR_MOD -> r.min == r.max && r.min > 0
          ? Optional.of(l.min >= 0 && l.max < r.min ? l : new IndexRange(0, r.min - 1))
          : Optional.empty();
      default -> Optional.empty();
    };
  }

  @Override
  public String toString() {
    return "[" + min + ", " + max + "]";
  }
}
