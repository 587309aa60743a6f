package dev.kiln.passes.lower.elementwise;

import static dev.kiln.ir.loop.Exprs.call;
import static dev.kiln.passes.lower.Nests.div;
import static dev.kiln.passes.lower.Nests.eq;
import static dev.kiln.passes.lower.Nests.ge;
import static dev.kiln.passes.lower.Nests.gt;
import static dev.kiln.passes.lower.Nests.max;
import static dev.kiln.passes.lower.Nests.min;
import static dev.kiln.passes.lower.Nests.ne;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Intrinsic;
import dev.kiln.ir.loop.UnaryOp;
import dev.kiln.ir.type.DType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The scalar function of each unary elementwise operator as a loop-IR expression of one element,
 * mirroring the reference kernels of {@code dev.kiln.ir.ops.elementwise.MathOps} and
 * {@code ActivationOps} (attribute defaults included). Real-only functions that ONNX also defines
 * for integers (Erf, Shrink) compute in f64 and truncate back, as the reference does.
 */
public final class UnaryFunctions {
  private UnaryFunctions() {}

  private static final Map<String, Function> ALL = all();

  /**
   * The loop-IR expression of unary operator {@code op} applied to element {@code x} of type
   * {@code t} with the application's attributes (e.g. LeakyRelu's alpha); empty for operators
   * that are not unary elementwise functions. Fused epilogues reuse it.
   */
  public static java.util.Optional<Expr> apply(String op, Expr x, DType t, Attributes attrs) {
    return java.util.Optional.ofNullable(ALL.get(op)).map(f -> f.apply(x, t, attrs));
  }

  /** The function of one application: element {@code x} of type {@code t} to the output element. */
  @FunctionalInterface
  interface Function {
    Expr apply(Expr x, DType t, Attributes attrs);
  }

  static Map<String, Function> all() {
    Map<String, Function> f = new LinkedHashMap<>();
    f.put("Abs", (x, t, a) -> t.isFloating() || t.isSigned() ? call(Intrinsic.ABS, x) : x);
    f.put("Neg", (x, t, a) -> new Expr.Unary(UnaryOp.NEG, x));
    f.put("Sign", (x, t, a) -> t.isFloating() || t.isSigned()
        ? Exprs.select(gt(x, c(t, 0)), c(t, 1), Exprs.select(Exprs.lt(x, c(t, 0)), c(t, -1), x))
        : Exprs.select(ne(x, c(t, 0)), c(t, 1), c(t, 0)));
    f.put("Reciprocal", (x, t, a) -> div(c(t, 1), x));
    intrinsic(f, "Sqrt", Intrinsic.SQRT);
    intrinsic(f, "Exp", Intrinsic.EXP);
    intrinsic(f, "Log", Intrinsic.LOG);
    intrinsic(f, "Floor", Intrinsic.FLOOR);
    intrinsic(f, "Ceil", Intrinsic.CEIL);
    intrinsic(f, "Round", Intrinsic.ROUND_EVEN);
    f.put("Erf", viaReal((x, t, a) -> call(Intrinsic.ERF, x)));
    intrinsic(f, "Sin", Intrinsic.SIN);
    intrinsic(f, "Cos", Intrinsic.COS);
    intrinsic(f, "Tan", Intrinsic.TAN);
    intrinsic(f, "Asin", Intrinsic.ASIN);
    intrinsic(f, "Acos", Intrinsic.ACOS);
    intrinsic(f, "Atan", Intrinsic.ATAN);
    intrinsic(f, "Sinh", Intrinsic.SINH);
    intrinsic(f, "Cosh", Intrinsic.COSH);
    intrinsic(f, "Asinh", Intrinsic.ASINH);
    intrinsic(f, "Acosh", Intrinsic.ACOSH);
    intrinsic(f, "Atanh", Intrinsic.ATANH);
    f.put("Not", (x, t, a) -> new Expr.Unary(UnaryOp.NOT, x));
    f.put("IsNaN", (x, t, a) -> ne(x, x));
    f.put("IsInf", (x, t, a) -> {
      Expr negative = Exprs.and(
          new Expr.IntConst(DType.BOOL, a.getInt("detect_negative", 1) != 0 ? 1 : 0),
          eq(x, c(t, Double.NEGATIVE_INFINITY)));
      Expr positive = Exprs.and(
          new Expr.IntConst(DType.BOOL, a.getInt("detect_positive", 1) != 0 ? 1 : 0),
          eq(x, c(t, Double.POSITIVE_INFINITY)));
      return new Expr.Binary(BinaryOp.OR, negative, positive);
    });
    f.put("Relu", (x, t, a) -> max(x, c(t, 0)));
    f.put("LeakyRelu", (x, t, a) ->
        Exprs.select(ge(x, c(t, 0)), x, Exprs.mul(c(t, a.getFloat("alpha", 0.01f)), x)));
    f.put("ThresholdedRelu", (x, t, a) ->
        Exprs.select(gt(x, c(t, a.getFloat("alpha", 1.0f))), x, c(t, 0)));
    intrinsic(f, "Sigmoid", Intrinsic.SIGMOID);
    intrinsic(f, "Tanh", Intrinsic.TANH);
    f.put("Softplus", (x, t, a) -> softplus(x, t));
    f.put("Softsign", (x, t, a) -> div(x, Exprs.add(c(t, 1), call(Intrinsic.ABS, x))));
    f.put("Elu", (x, t, a) -> Exprs.select(ge(x, c(t, 0)), x,
        Exprs.mul(c(t, a.getFloat("alpha", 1.0f)), expm1(x, t))));
    f.put("Celu", (x, t, a) -> {
      Expr alpha = c(t, a.getFloat("alpha", 1.0f));
      return Exprs.add(max(c(t, 0), x), min(c(t, 0), Exprs.mul(alpha, expm1(div(x, alpha), t))));
    });
    f.put("Selu", (x, t, a) -> Exprs.mul(c(t, a.getFloat("gamma", 1.05070102214813232421875f)),
        Exprs.select(gt(x, c(t, 0)), x,
            Exprs.mul(c(t, a.getFloat("alpha", 1.67326319217681884765625f)), expm1(x, t)))));
    f.put("HardSigmoid", (x, t, a) -> max(c(t, 0), min(c(t, 1),
        Exprs.add(Exprs.mul(c(t, a.getFloat("alpha", 0.2f)), x), c(t, a.getFloat("beta", 0.5f))))));
    f.put("Shrink", viaReal((x, t, a) -> {
      Expr bias = c(t, a.getFloat("bias", 0.0f));
      Expr lambd = c(t, a.getFloat("lambd", 0.5f));
      return Exprs.select(Exprs.lt(x, new Expr.Unary(UnaryOp.NEG, lambd)), Exprs.add(x, bias),
          Exprs.select(gt(x, lambd), Exprs.sub(x, bias), c(t, 0)));
    }));
    f.put("HardSwish", (x, t, a) -> Exprs.mul(x,
        max(c(t, 0), min(c(t, 1), Exprs.add(div(x, c(t, 6)), c(t, 0.5))))));
    f.put("Mish", (x, t, a) -> Exprs.mul(x, call(Intrinsic.TANH, softplus(x, t))));
    f.put("Gelu", (x, t, a) -> {
      Expr inner = switch (a.getString("approximate", "none")) {
        case "tanh" -> call(Intrinsic.TANH, Exprs.mul(c(t, Math.sqrt(2 / Math.PI)),
            Exprs.add(x, Exprs.mul(c(t, 0.044715), Exprs.mul(x, Exprs.mul(x, x))))));
        default -> call(Intrinsic.ERF, div(x, c(t, Math.sqrt(2))));
      };
      return Exprs.mul(Exprs.mul(c(t, 0.5), x), Exprs.add(c(t, 1), inner));
    });
    return f;
  }

  private static void intrinsic(Map<String, Function> f, String op, Intrinsic fn) {
    f.put(op, (x, t, a) -> call(fn, x));
  }

  /** A real function applied to integers through f64, truncating back like the reference. */
  private static Function viaReal(Function real) {
    return (x, t, a) -> t.isFloating() ? real.apply(x, t, a)
        : Exprs.cast(t, real.apply(Exprs.cast(DType.F64, x), DType.F64, a));
  }

  /** ln(1 + e^x) without overflow, as SpecialMath.softplus. */
  private static Expr softplus(Expr x, DType t) {
    Expr negAbs = new Expr.Unary(UnaryOp.NEG, call(Intrinsic.ABS, x));
    return Exprs.add(max(x, c(t, 0)),
        call(Intrinsic.LOG, Exprs.add(c(t, 1), call(Intrinsic.EXP, negAbs))));
  }

  private static Expr expm1(Expr x, DType t) {
    return Exprs.sub(call(Intrinsic.EXP, x), c(t, 1));
  }

  static Expr c(DType t, double v) {
    return Exprs.constant(t, v);
  }
}
