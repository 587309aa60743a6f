package dev.kiln.ir.ops.elementwise;

import dev.kiln.ir.op.OpSchema;
import java.util.ArrayList;
import java.util.List;

/**
 * The elementwise operators: unary math and activations, broadcasting arithmetic, comparisons
 * and logic, and Pow, Clip, PRelu, Where, Cast, CastLike, Identity and Dropout.
 *
 * <p>How an operator is written: most are one entry in {@link MathOps}, {@link ActivationOps},
 * {@link ArithmeticOps} or {@link ComparisonOps}, built on {@link UnaryElementwise} (one input)
 * or {@link BroadcastElementwise} (two or more inputs of one element type under NumPy
 * broadcasting). Operators whose inputs differ in role have a class of their own. Every reference
 * {@code evaluate} first runs the operator's own inference on its inputs' types, so it rejects
 * exactly what a graph's verifier rejects, with the same message.
 */
public final class ElementwiseOps {
  private static final List<OpSchema> ALL = build();

  private ElementwiseOps() {}

  /** Every operator of this family, for the standard registry; the same instances every time. */
  public static List<OpSchema> all() {
    return ALL;
  }

  private static List<OpSchema> build() {
    List<OpSchema> all = new ArrayList<>();
    all.addAll(MathOps.all());
    all.addAll(ActivationOps.all());
    all.addAll(ArithmeticOps.all());
    all.addAll(ComparisonOps.all());
    all.addAll(
        List.of(new Pow(), new Clip(), new PRelu(), new Where(), new Cast(), new CastLike(), new Identity(),
            new Dropout()));
    return List.copyOf(all);
  }
}
