package dev.kiln.passes.lower;

import static dev.kiln.passes.lower.Cases.pick;
import static dev.kiln.passes.lower.Differential.attrs;

import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.Cases.Case;
import dev.kiln.passes.lower.Differential.OneNode;
import java.util.List;
import java.util.Map;

/** MatMul (batch broadcasting, 1-D operands) and Gemm (transposes, alpha, beta, C shapes). */
final class LinalgCases {
  private LinalgCases() {}

  static void add(Map<String, Case> c) {
    c.put("MatMul", new Case(r -> {
      DType t = pick(r, List.of(DType.F32, DType.F64, DType.I32, DType.I64));
      long m = 1 + r.nextInt(3);
      long k = r.nextInt(4);
      long n = 1 + r.nextInt(3);
      long[] a = switch (r.nextInt(4)) {
        case 0 -> new long[] {k};
        case 1 -> new long[] {m, k};
        case 2 -> new long[] {2, m, k};
        default -> new long[] {1, 2, m, k};
      };
      long[] b = switch (r.nextInt(4)) {
        case 0 -> new long[] {k};
        case 1 -> new long[] {k, n};
        case 2 -> new long[] {1, k, n};
        default -> new long[] {3, 1, k, n};
      };
      return new OneNode(r).in(t, a).in(t, b).node("MatMul");
    }, false));
    c.put("Gemm", new Case(r -> {
      DType t = pick(r, List.of(DType.F32, DType.F64, DType.I32, DType.I64));
      long m = 1 + r.nextInt(3);
      long k = 1 + r.nextInt(4);
      long n = 1 + r.nextInt(3);
      boolean ta = r.nextBoolean();
      boolean tb = r.nextBoolean();
      OneNode g = new OneNode(r).in(t, ta ? new long[] {k, m} : new long[] {m, k})
          .in(t, tb ? new long[] {n, k} : new long[] {k, n});
      switch (r.nextInt(4)) {
        case 0 -> { }
        case 1 -> g.in(t, n);
        case 2 -> g.in(t, m, 1);
        default -> g.in(t, m, n);
      }
      var a = attrs().put("transA", ta ? 1L : 0L).put("transB", tb ? 1L : 0L);
      if (r.nextBoolean()) {
        a.put("alpha", 0.5f).put("beta", 2.0f);
      }
      return g.node("Gemm", a.build());
    }, false));
  }
}
