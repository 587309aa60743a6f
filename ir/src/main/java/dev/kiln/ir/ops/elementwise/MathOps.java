package dev.kiln.ir.ops.elementwise;

import static dev.kiln.ir.ops.elementwise.UnaryElementwise.exact;
import static dev.kiln.ir.ops.elementwise.UnaryElementwise.floating;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.ops.elementwise.UnaryElementwise.Kernel;
import java.util.List;

/**
 * The unary mathematical functions: arithmetic, rounding, exponentials, trigonometry, and the
 * floating-point and bool predicates. One line per operator; semantics as in the ONNX spec.
 */
final class MathOps {
  private MathOps() {}

  static List<OpSchema> all() {
    return List.of(
        // Unsigned integers are their own absolute value; Math.abs would misread u64 above 2^63.
        new UnaryElementwise("Abs", ElementTypes.NUMERIC, List.of(), false,
            (a, t) -> Kernel.of(Math::abs, t.isSigned() ? Math::abs : x -> x)),
        exact("Neg", ElementTypes.SIGNED, x -> -x, x -> -x),
        new UnaryElementwise("Sign", ElementTypes.NUMERIC, List.of(), false,
            (a, t) -> Kernel.of(Math::signum, t.isSigned() ? Long::signum : x -> x == 0 ? 0 : 1)),
        floating("Reciprocal", x -> 1 / x),
        floating("Sqrt", Math::sqrt),
        floating("Exp", Math::exp),
        floating("Log", Math::log),
        floating("Floor", Math::floor),
        floating("Ceil", Math::ceil),
        floating("Round", Math::rint), // halves to even, like ONNX and numpy.round
        // ONNX defines Erf for integers too; their results truncate to -1, 0 or 1.
        new UnaryElementwise("Erf", ElementTypes.NUMERIC, List.of(), false,
            (a, t) -> Kernel.real(SpecialMath::erf)),
        floating("Sin", Math::sin),
        floating("Cos", Math::cos),
        floating("Tan", Math::tan),
        floating("Asin", Math::asin),
        floating("Acos", Math::acos),
        floating("Atan", Math::atan),
        floating("Sinh", Math::sinh),
        floating("Cosh", Math::cosh),
        floating("Asinh", SpecialMath::asinh),
        floating("Acosh", SpecialMath::acosh),
        floating("Atanh", SpecialMath::atanh),
        new UnaryElementwise("Not", ElementTypes.BOOL, List.of(), false,
            (a, t) -> Kernel.of(x -> x == 0 ? 1 : 0, x -> x == 0 ? 1 : 0)),
        UnaryElementwise.predicate("IsNaN", List.of(),
            (a, t) -> Kernel.real(x -> Double.isNaN(x) ? 1 : 0)),
        UnaryElementwise.predicate("IsInf",
            List.of(
                AttrSpec.optional("detect_negative", Attribute.of(1L)),
                AttrSpec.optional("detect_positive", Attribute.of(1L))),
            (a, t) -> {
              boolean negative = a.getInt("detect_negative") != 0;
              boolean positive = a.getInt("detect_positive") != 0;
              return Kernel.real(
                  x -> (x == Double.NEGATIVE_INFINITY && negative)
                          || (x == Double.POSITIVE_INFINITY && positive) ? 1 : 0);
            }));
  }
}
