package dev.kiln.passes.lower;

import static dev.kiln.passes.lower.Differential.attrs;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.Differential.OneNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * One random-graph generator per operator for the differential tests: shapes, dtypes and
 * attributes drawn from the seed, covering broadcasting, negative axes, padding, strides, groups,
 * dilations and empty dims where the operator has them.
 */
final class Cases {
  private Cases() {}

  /** A generator and whether its integer inputs must avoid zero (divisors). */
  record Case(Function<Random, Graph> graph, boolean nonZero) {}

  static final List<String> UNARY_FLOAT = List.of("Reciprocal", "Sqrt", "Exp", "Log", "Floor", "Ceil",
      "Round", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh",
      "LeakyRelu", "ThresholdedRelu", "Sigmoid", "Tanh", "Softplus", "Softsign", "Elu", "Celu",
      "Selu", "HardSigmoid", "HardSwish", "Mish", "Gelu", "IsNaN", "IsInf");
  static final List<String> UNARY_NUMERIC = List.of("Abs", "Sign", "Erf", "Shrink");
  static final List<String> UNARY_SIGNED = List.of("Neg", "Relu");
  static final List<String> BINARY_NUMERIC = List.of("Add", "Sub", "Mul", "Div", "Equal", "Greater",
      "Less", "GreaterOrEqual", "LessOrEqual");
  static final List<String> LOGICAL = List.of("And", "Or", "Xor");
  static final List<DType> REALS = List.of(DType.F32, DType.F32, DType.F64, DType.F16, DType.BF16);
  static final List<DType> NUMERIC = List.of(DType.F32, DType.F64, DType.I32, DType.I64, DType.U8,
      DType.I8, DType.F16);
  static final List<DType> SIGNED = List.of(DType.F32, DType.F64, DType.I32, DType.I64, DType.I8);

  static Map<String, Case> all() {
    Map<String, Case> c = new LinkedHashMap<>();
    for (String op : UNARY_FLOAT) {
      c.put(op, unary(op, REALS));
    }
    for (String op : UNARY_NUMERIC) {
      c.put(op, unary(op, NUMERIC));
    }
    for (String op : UNARY_SIGNED) {
      c.put(op, unary(op, SIGNED));
    }
    c.put("Not", unary("Not", List.of(DType.BOOL)));
    c.put("Gelu", new Case(r -> new OneNode(r).in(pick(r, REALS), shape(r, 3))
        .node("Gelu", attrs().put("approximate", r.nextBoolean() ? "tanh" : "none").build()), false));
    c.put("LeakyRelu", new Case(r -> new OneNode(r).in(DType.F32, shape(r, 3))
        .node("LeakyRelu", attrs().put("alpha", 0.3f).build()), false));
    c.put("Shrink", new Case(r -> new OneNode(r).in(pick(r, NUMERIC), shape(r, 3))
        .node("Shrink", attrs().put("bias", 1.5f).put("lambd", 1.0f).build()), false));
    for (String op : BINARY_NUMERIC) {
      c.put(op, binary(op, NUMERIC, op.equals("Div")));
    }
    for (String op : LOGICAL) {
      c.put(op, binary(op, List.of(DType.BOOL), false));
    }
    c.put("Mod", new Case(r -> {
      DType t = pick(r, NUMERIC);
      long[][] s = broadcastPair(r);
      long fmod = t.isFloating() || r.nextBoolean() ? 1 : 0;
      return new OneNode(r).in(t, s[0]).in(t, s[1]).node("Mod", attrs().put("fmod", fmod).build());
    }, true));
    c.put("BitShift", new Case(r -> {
      DType t = pick(r, List.of(DType.U8, DType.U32, DType.U64));
      long[][] s = broadcastPair(r);
      return new OneNode(r).in(t, s[0]).in(t, s[1])
          .node("BitShift", attrs().put("direction", r.nextBoolean() ? "LEFT" : "RIGHT").build());
    }, false));
    for (String op : List.of("Max", "Min", "Sum", "Mean")) {
      List<DType> types = op.equals("Max") || op.equals("Min") ? NUMERIC : REALS;
      c.put(op, new Case(r -> {
        DType t = pick(r, types);
        long[][] s = broadcastPair(r);
        OneNode n = new OneNode(r).in(t, s[0]).in(t, s[1]);
        if (r.nextBoolean()) {
          n.in(t, s[r.nextInt(2)]);
        }
        return n.node(op);
      }, false));
    }
    c.put("Pow", new Case(r -> {
      DType b = pick(r, List.of(DType.F32, DType.F64, DType.I32, DType.I64));
      DType e = pick(r, List.of(DType.F32, DType.I32, DType.I64, b));
      long[][] s = broadcastPair(r);
      return new OneNode(r).in(b, s[0]).in(e, s[1]).node("Pow");
    }, true));
    c.put("Clip", new Case(r -> {
      DType t = pick(r, NUMERIC);
      OneNode n = new OneNode(r).in(t, shape(r, 3));
      if (r.nextBoolean()) {
        n.in(t);
      } else {
        n.absent();
      }
      if (r.nextBoolean()) {
        n.in(t);
      }
      return n.node("Clip");
    }, false));
    c.put("PRelu", new Case(r -> {
      DType t = pick(r, List.of(DType.F32, DType.F64, DType.I32));
      long[] x = shape(r, 3, 1);
      long[] slope = x.length > 0 && r.nextBoolean() ? new long[] {x[x.length - 1]} : new long[] {1};
      return new OneNode(r).in(t, x).in(t, slope).node("PRelu");
    }, false));
    c.put("Where", new Case(r -> {
      DType t = pick(r, NUMERIC);
      long[][] s = broadcastPair(r);
      return new OneNode(r).in(DType.BOOL, s[r.nextInt(2)]).in(t, s[0]).in(t, s[1]).node("Where");
    }, false));
    c.put("Cast", new Case(r -> {
      DType from = pick(r, List.of(DType.F32, DType.F64, DType.I32, DType.I8, DType.U8, DType.BOOL, DType.F16));
      DType to = pick(r, List.of(DType.F32, DType.F64, DType.I32, DType.I64, DType.U8, DType.BOOL, DType.F16));
      return new OneNode(r).in(from, shape(r, 3)).node("Cast", attrs().put("to", (long) to.onnxCode()).build());
    }, false));
    c.put("CastLike", new Case(r -> new OneNode(r).in(DType.F32, shape(r, 3)).in(DType.I32, 1)
        .node("CastLike"), false));
    c.put("Identity", unary("Identity", NUMERIC));
    c.put("Dropout", new Case(r -> new OneNode(r).in(DType.F32, shape(r, 3))
        .node("Dropout", Attributes.EMPTY, 2), false));
    LinalgCases.add(c);
    ReduceCases.add(c);
    NnCases.add(c);
    LayoutCases.add(c);
    ShapeCases.add(c);
    FusedCases.add(c);
    return c;
  }

  static Case unary(String op, List<DType> types) {
    return new Case(r -> new OneNode(r).in(pick(r, types), shape(r, 3)).node(op), false);
  }

  static Case binary(String op, List<DType> types, boolean nonZero) {
    return new Case(r -> {
      DType t = pick(r, types);
      long[][] s = broadcastPair(r);
      return new OneNode(r).in(t, s[0]).in(t, s[1]).node(op);
    }, nonZero);
  }

  static <T> T pick(Random r, List<T> from) {
    return from.get(r.nextInt(from.size()));
  }

  /** A random shape of rank up to {@code maxRank}, dims 1..4 with an occasional 0. */
  static long[] shape(Random r, int maxRank) {
    return shape(r, maxRank, 0);
  }

  static long[] shape(Random r, int maxRank, int minRank) {
    int rank = minRank + r.nextInt(maxRank - minRank + 1);
    long[] s = new long[rank];
    for (int i = 0; i < rank; i++) {
      s[i] = r.nextInt(12) == 0 ? 0 : 1 + r.nextInt(4);
    }
    return s;
  }

  /** Two shapes that broadcast: one is a suffix of the other's rank with some dims set to 1. */
  static long[][] broadcastPair(Random r) {
    long[] full = shape(r, 3);
    int rank = r.nextInt(full.length + 1);
    long[] other = new long[rank];
    for (int i = 0; i < rank; i++) {
      other[i] = r.nextInt(3) == 0 ? 1 : full[full.length - rank + i];
    }
    for (int i = 0; i < full.length; i++) {
      if (r.nextInt(4) == 0 && i >= full.length - rank) {
        full[i] = 1;
      }
    }
    return r.nextBoolean() ? new long[][] {full, other} : new long[][] {other, full};
  }
}
