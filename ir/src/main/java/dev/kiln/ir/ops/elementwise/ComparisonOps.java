package dev.kiln.ir.ops.elementwise;

import static dev.kiln.ir.ops.elementwise.BroadcastElementwise.predicate;

import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.ops.elementwise.BroadcastElementwise.Kernel;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.function.LongBinaryOperator;

/**
 * Broadcasting comparisons and logical operators; every output is bool. Floating-point
 * comparisons follow IEEE 754 (anything compared with NaN is false, and -0 equals +0); unsigned
 * integers compare as unsigned.
 */
final class ComparisonOps {
  private ComparisonOps() {}

  static List<OpSchema> all() {
    return List.of(
        comparison("Equal", ElementTypes.ANY, c -> c == 0),
        comparison("Greater", ElementTypes.NUMERIC, c -> c > 0),
        comparison("Less", ElementTypes.NUMERIC, c -> c < 0),
        comparison("GreaterOrEqual", ElementTypes.NUMERIC, c -> c >= 0),
        comparison("LessOrEqual", ElementTypes.NUMERIC, c -> c <= 0),
        logical("And", (x, y) -> x & y),
        logical("Or", (x, y) -> x | y),
        logical("Xor", (x, y) -> x ^ y));
  }

  /**
   * A comparison by the sign of {@code compare(x, y)}. The real path compares with the IEEE
   * operators rather than {@link Double#compare}, which orders NaN and -0.
   */
  private static BroadcastElementwise comparison(
      String name, ElementTypes accepts, IntPredicate holds) {
    return predicate(
        name,
        accepts,
        (a, t) ->
            Kernel.of(
                (x, y) -> compareReals(x, y, holds) ? 1 : 0,
                (x, y) ->
                    holds.test(t.isSigned() ? Long.compare(x, y) : Long.compareUnsigned(x, y))
                        ? 1
                        : 0));
  }

  private static boolean compareReals(double x, double y, IntPredicate holds) {
    if (Double.isNaN(x) || Double.isNaN(y)) {
      return false;
    }
    return holds.test(x < y ? -1 : x > y ? 1 : 0);
  }

  /** A logical operator on bools, which the kernels see as the integers 0 and 1. */
  private static BroadcastElementwise logical(String name, LongBinaryOperator op) {
    return predicate(name, ElementTypes.BOOL, (a, t) -> Kernel.integer(op));
  }
}
