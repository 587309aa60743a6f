package dev.kiln.ir.ops.elementwise;

import static dev.kiln.ir.ops.elementwise.UnaryElementwise.floating;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.ops.elementwise.UnaryElementwise.Kernel;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

/**
 * The elementwise activation functions. Attribute defaults are ONNX's; float attributes are
 * 32-bit in ONNX, so {@code alpha = 0.01} means the float nearest 0.01, widened exactly.
 */
final class ActivationOps {
  private ActivationOps() {}

  private static final double SQRT_2 = Math.sqrt(2);
  private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

  static List<OpSchema> all() {
    return List.of(
        // ONNX Relu (opset 14) takes signed integers too.
        UnaryElementwise.exact(
            "Relu", ElementTypes.SIGNED, x -> Math.max(x, 0.0), x -> Math.max(x, 0)),
        floating("LeakyRelu", List.of(alpha(0.01f)), (a, t) -> {
          double alpha = a.getFloat("alpha");
          return Kernel.real(x -> x >= 0 ? x : alpha * x);
        }),
        floating("ThresholdedRelu", List.of(alpha(1.0f)), (a, t) -> {
          double alpha = a.getFloat("alpha");
          return Kernel.real(x -> x > alpha ? x : 0);
        }),
        floating("Sigmoid", ActivationOps::sigmoid),
        floating("Tanh", Math::tanh),
        floating("Softplus", SpecialMath::softplus),
        floating("Softsign", x -> x / (1 + Math.abs(x))),
        floating("Elu", List.of(alpha(1.0f)), (a, t) -> {
          double alpha = a.getFloat("alpha");
          return Kernel.real(x -> x >= 0 ? x : alpha * Math.expm1(x));
        }),
        floating("Celu", List.of(alpha(1.0f)), (a, t) -> {
          double alpha = a.getFloat("alpha");
          return Kernel.real(x -> Math.max(0, x) + Math.min(0, alpha * Math.expm1(x / alpha)));
        }),
        floating(
            "Selu",
            List.of(
                alpha(1.67326319217681884765625f),
                AttrSpec.optional("gamma", Attribute.of(1.05070102214813232421875f))),
            (a, t) -> {
              double alpha = a.getFloat("alpha");
              double gamma = a.getFloat("gamma");
              return Kernel.real(x -> gamma * (x > 0 ? x : alpha * Math.expm1(x)));
            }),
        floating(
            "HardSigmoid",
            List.of(alpha(0.2f), AttrSpec.optional("beta", Attribute.of(0.5f))),
            (a, t) -> {
              double alpha = a.getFloat("alpha");
              double beta = a.getFloat("beta");
              return Kernel.real(x -> Math.max(0, Math.min(1, alpha * x + beta)));
            }),
        new UnaryElementwise(
            "Shrink",
            ElementTypes.NUMERIC,
            List.of(
                AttrSpec.optional("bias", Attribute.of(0.0f)),
                AttrSpec.optional("lambd", Attribute.of(0.5f))),
            false,
            (a, t) -> {
              double bias = a.getFloat("bias");
              double lambd = a.getFloat("lambd");
              return Kernel.real(x -> x < -lambd ? x + bias : x > lambd ? x - bias : 0);
            }),
        floating("HardSwish", x -> x * Math.max(0, Math.min(1, x / 6 + 0.5))),
        floating("Mish", x -> x * Math.tanh(SpecialMath.softplus(x))),
        floating("Gelu", List.of(AttrSpec.optional("approximate", Attribute.of("none"))),
            (a, t) -> Kernel.real(gelu(a.getString("approximate")))));
  }

  private static AttrSpec alpha(float defaultValue) {
    return AttrSpec.optional("alpha", Attribute.of(defaultValue));
  }

  /** 1 / (1 + e^-x), written so that neither branch overflows. */
  private static double sigmoid(double x) {
    if (x >= 0) {
      return 1 / (1 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1 + e);
  }

  /**
   * Gelu as defined by ONNX opset 20 (Kiln has it at every opset): exact
   * {@code 0.5 x (1 + erf(x / sqrt 2))}, or the tanh approximation
   * {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}.
   */
  private static DoubleUnaryOperator gelu(String approximate) {
    return switch (approximate) {
      case "none" -> x -> 0.5 * x * (1 + SpecialMath.erf(x / SQRT_2));
      case "tanh" -> x -> 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
      default ->
          throw OpException.of(
              "attribute 'approximate' must be \"none\" or \"tanh\", got \"%s\"", approximate);
    };
  }
}
