package dev.kiln.passes.lower;

import static dev.kiln.passes.lower.Cases.pick;
import static dev.kiln.passes.lower.Cases.shape;
import static dev.kiln.passes.lower.Differential.attrs;

import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.Cases.Case;
import dev.kiln.passes.lower.Differential.OneNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Reductions with axes as attribute or constant input, negative axes, keepdims, no-op. */
final class ReduceCases {
  private ReduceCases() {}

  static void add(Map<String, Case> c) {
    for (String op : List.of("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
        "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp")) {
      boolean order = op.equals("ReduceMax") || op.equals("ReduceMin");
      List<DType> types = op.startsWith("ReduceLog") || op.equals("ReduceL2")
          ? List.of(DType.F32, DType.F64, DType.F16)
          : op.equals("ReduceMean") ? List.of(DType.F32, DType.F64, DType.F16, DType.I32, DType.U32)
          : order ? List.of(DType.F32, DType.I32, DType.U8, DType.I64, DType.F64)
          : List.of(DType.F32, DType.F64, DType.I32, DType.I64);
      c.put(op, new Case(r -> {
        DType t = pick(r, types);
        long[] s = nonEmpty(r, shape(r, 3, 1));
        long[] axes = axes(r, s.length);
        OneNode n = new OneNode(r).in(t, s);
        var a = attrs().put("keepdims", r.nextBoolean() ? 1L : 0L);
        if (r.nextBoolean()) {
          a.putInts("axes", axes);
        } else if (axes.length > 0 || r.nextBoolean()) {
          n.ints(axes);
        }
        if (axes.length == 0 && r.nextBoolean()) {
          a.put("noop_with_empty_axes", 1L);
        }
        return n.node(op, a.build());
      }, false));
    }
    for (String op : List.of("ArgMax", "ArgMin")) {
      c.put(op, new Case(r -> {
        DType t = pick(r, List.of(DType.F32, DType.I32, DType.U8, DType.F64));
        long[] s = nonEmpty(r, shape(r, 3, 1));
        int axis = r.nextInt(s.length) - (r.nextBoolean() ? s.length : 0);
        return new OneNode(r).in(t, s).node(op, attrs().put("axis", (long) axis)
            .put("keepdims", r.nextBoolean() ? 1L : 0L)
            .put("select_last_index", r.nextBoolean() ? 1L : 0L).build());
      }, false));
    }
    c.put("CumSum", new Case(r -> {
      DType t = pick(r, List.of(DType.F32, DType.F64, DType.I32, DType.I64, DType.F16));
      long[] s = shape(r, 3, 1);
      long axis = r.nextInt(s.length) - (r.nextBoolean() ? s.length : 0);
      dev.kiln.ir.tensor.Tensor a = r.nextBoolean()
          ? dev.kiln.ir.tensor.Tensor.ofLongs(new long[0], axis)
          : dev.kiln.ir.tensor.Tensor.ofInts(new long[] {1}, (int) axis);
      return new OneNode(r).in(t, s).constant(a).node("CumSum", attrs()
          .put("exclusive", r.nextBoolean() ? 1L : 0L)
          .put("reverse", r.nextBoolean() ? 1L : 0L).build());
    }, false));
    c.put("TopK", new Case(r -> {
      DType t = pick(r, List.of(DType.F32, DType.F64, DType.I32, DType.U8, DType.I64));
      long[] s = shape(r, 3, 1);
      int axis = r.nextInt(s.length);
      long k = r.nextInt((int) s[axis] + 1);
      return new OneNode(r).in(t, s).ints(k).node("TopK", attrs()
          .put("axis", (long) (r.nextBoolean() ? axis : axis - s.length))
          .put("largest", r.nextBoolean() ? 1L : 0L).build(), 2);
    }, false));
  }

  /** Empty groups make integer means and arg-reductions errors; keep dims positive. */
  static long[] nonEmpty(Random r, long[] s) {
    for (int i = 0; i < s.length; i++) {
      s[i] = Math.max(1, s[i]);
    }
    return s;
  }

  /** A random subset of axes, some written negative. */
  static long[] axes(Random r, int rank) {
    List<Long> axes = new ArrayList<>();
    for (int d = 0; d < rank; d++) {
      if (r.nextBoolean()) {
        axes.add(r.nextBoolean() ? d - rank : (long) d);
      }
    }
    return axes.stream().mapToLong(Long::longValue).toArray();
  }
}
