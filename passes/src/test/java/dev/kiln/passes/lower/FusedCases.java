package dev.kiln.passes.lower;

import static dev.kiln.passes.lower.Differential.attrs;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.ops.elementwise.Epilogue;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.Cases.Case;
import dev.kiln.passes.lower.Differential.OneNode;
import java.util.Map;
import java.util.Random;

/**
 * FusedConv, FusedGemm and FusedMatMul with a random epilogue: no activation or any of
 * {@link Epilogue#ACTIVATIONS} (with parameters where they take them), with and without bias and
 * residual Z.
 */
final class FusedCases {
  private FusedCases() {}

  static void add(Map<String, Case> c) {
    c.put("FusedConv", new Case(r -> {
      long n = 1 + r.nextInt(2);
      long ch = 1 + r.nextInt(3);
      long m = 1 + r.nextInt(3);
      long h = 3 + r.nextInt(3);
      OneNode node = new OneNode(r).in(DType.F32, n, ch, h, h).in(DType.F32, m, ch, 3, 3);
      if (r.nextBoolean()) {
        node.in(DType.F32, m);
      } else {
        node.absent();
      }
      if (r.nextBoolean()) {
        node.in(DType.F32, n, m, h, h);
      }
      return node.node("FusedConv", epilogue(r, attrs().putInts("pads", 1, 1, 1, 1)));
    }, false));
    c.put("FusedGemm", new Case(r -> {
      long m = 1 + r.nextInt(3);
      long k = 1 + r.nextInt(4);
      long n = 1 + r.nextInt(3);
      boolean tb = r.nextBoolean();
      OneNode node = new OneNode(r).in(DType.F32, m, k).in(DType.F32, tb ? new long[] {n, k}
          : new long[] {k, n});
      if (r.nextBoolean()) {
        node.in(DType.F32, n);
      } else {
        node.absent();
      }
      if (r.nextBoolean()) {
        node.in(DType.F32, m, n);
      }
      return node.node("FusedGemm", epilogue(r, attrs().put("transB", tb ? 1L : 0L)));
    }, false));
    c.put("FusedMatMul", new Case(r -> {
      long m = 1 + r.nextInt(3);
      long k = 1 + r.nextInt(4);
      long n = 1 + r.nextInt(3);
      boolean batch = r.nextBoolean();
      OneNode node = new OneNode(r).in(DType.F32, batch ? new long[] {2, m, k} : new long[] {m, k})
          .in(DType.F32, k, n);
      if (r.nextBoolean()) {
        node.in(DType.F32, n);
      } else {
        node.absent();
      }
      if (r.nextBoolean()) {
        node.in(DType.F32, batch ? new long[] {2, m, n} : new long[] {m, n});
      }
      return node.node("FusedMatMul", epilogue(r, attrs()));
    }, false));
  }

  private static Attributes epilogue(Random r, Attributes.Builder a) {
    int i = r.nextInt(Epilogue.ACTIVATIONS.size() + 1);
    if (i == Epilogue.ACTIVATIONS.size()) {
      return a.build();
    }
    String act = Epilogue.ACTIVATIONS.get(i);
    a.put("activation", act);
    switch (act) {
      case "LeakyRelu" -> a.put("activation_params", Attribute.floats(0.1f));
      case "HardSigmoid" -> a.put("activation_params", Attribute.floats(0.3f, 0.4f));
      case "Clip" -> a.put("activation_params", Attribute.floats(-0.5f, 0.75f));
      default -> {}
    }
    return a.build();
  }
}
