package dev.kiln.passes.lower;

import static dev.kiln.passes.lower.Cases.pick;
import static dev.kiln.passes.lower.Cases.shape;
import static dev.kiln.passes.lower.Differential.attrs;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.Cases.Case;
import dev.kiln.passes.lower.Differential.OneNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Data-movement operators with random shapes (empty dims included), negative axes, negative
 * pads, negative steps and every Pad mode. Shape, Size, Constant, ConstantOfShape and Range fold
 * to constants under BindShapes; their cases check that path (and LoweringUnitTest lowers them
 * unfolded).
 */
final class ShapeCases {
  private ShapeCases() {}

  static final List<DType> ANY = List.of(DType.F32, DType.I64, DType.I32, DType.BOOL, DType.F16, DType.U8);

  static void add(Map<String, Case> c) {
    c.put("Reshape", new Case(r -> {
      long[] x = shape(r, 3);
      long[] target = reshapeTarget(r, x);
      return new OneNode(r).in(pick(r, ANY), x).ints(target).node("Reshape");
    }, false));
    c.put("Flatten", new Case(r -> {
      long[] x = shape(r, 3);
      int axis = r.nextInt(x.length + 1) - (r.nextBoolean() ? x.length : 0);
      return new OneNode(r).in(pick(r, ANY), x).node("Flatten", attrs().put("axis", (long) axis).build());
    }, false));
    c.put("Squeeze", new Case(r -> {
      long[] x = shape(r, 3, 1);
      x[r.nextInt(x.length)] = 1;
      List<Long> axes = new ArrayList<>();
      for (int d = 0; d < x.length; d++) {
        if (x[d] == 1 && r.nextBoolean()) {
          axes.add(r.nextBoolean() ? d - (long) x.length : d);
        }
      }
      OneNode n = new OneNode(r).in(pick(r, ANY), x);
      if (!axes.isEmpty()) {
        n.ints(axes.stream().mapToLong(Long::longValue).toArray());
      }
      return n.node("Squeeze");
    }, false));
    c.put("Unsqueeze", new Case(r -> {
      long[] x = shape(r, 3);
      int outRank = x.length + 1;
      long axis = r.nextInt(outRank) - (r.nextBoolean() ? outRank : 0);
      return new OneNode(r).in(pick(r, ANY), x).ints(axis).node("Unsqueeze");
    }, false));
    c.put("Transpose", new Case(r -> {
      long[] x = shape(r, 4);
      List<Long> perm = new ArrayList<>();
      for (int i = 0; i < x.length; i++) {
        perm.add((long) i);
      }
      java.util.Collections.shuffle(perm, r);
      Attributes a = r.nextBoolean() ? Attributes.EMPTY
          : attrs().putInts("perm", perm.stream().mapToLong(Long::longValue).toArray()).build();
      return new OneNode(r).in(pick(r, ANY), x).node("Transpose", a);
    }, false));
    c.put("Expand", new Case(r -> {
      long[][] s = Cases.broadcastPair(r);
      return new OneNode(r).in(pick(r, ANY), s[0]).ints(s[1]).node("Expand");
    }, false));
    c.put("Tile", new Case(r -> {
      long[] x = shape(r, 3);
      long[] repeats = new long[x.length];
      for (int i = 0; i < x.length; i++) {
        repeats[i] = r.nextInt(3);
      }
      return new OneNode(r).in(pick(r, ANY), x).ints(repeats).node("Tile");
    }, false));
    c.put("Concat", new Case(r -> {
      long[] x = shape(r, 3, 1);
      int axis = r.nextInt(x.length);
      DType t = pick(r, ANY);
      OneNode n = new OneNode(r);
      int inputs = 1 + r.nextInt(3);
      for (int i = 0; i < inputs; i++) {
        long[] s = x.clone();
        s[axis] = r.nextInt(3);
        n.in(t, s);
      }
      return n.node("Concat", attrs().put("axis", (long) (r.nextBoolean() ? axis : axis - x.length)).build());
    }, false));
    c.put("Split", new Case(r -> {
      long[] x = shape(r, 3, 1);
      int axis = r.nextInt(x.length);
      x[axis] = 2 + r.nextInt(4);
      OneNode n = new OneNode(r).in(pick(r, ANY), x);
      Attributes.Builder a = attrs().put("axis", (long) (r.nextBoolean() ? axis : axis - x.length));
      if (r.nextBoolean()) {
        long first = r.nextInt((int) x[axis] + 1);
        n.ints(first, x[axis] - first);
        return n.node("Split", a.build(), 2);
      }
      return n.node("Split", a.put("num_outputs", 2L).build(), 2);
    }, false));
    c.put("Slice", new Case(r -> {
      long[] x = shape(r, 3, 1);
      int k = 1 + r.nextInt(x.length);
      long[] starts = new long[k];
      long[] ends = new long[k];
      long[] axes = new long[k];
      long[] steps = new long[k];
      List<Long> all = new ArrayList<>();
      for (int d = 0; d < x.length; d++) {
        all.add((long) d);
      }
      java.util.Collections.shuffle(all, r);
      for (int i = 0; i < k; i++) {
        axes[i] = all.get(i) - (r.nextBoolean() ? x.length : 0);
        starts[i] = r.nextInt(9) - 4;
        ends[i] = r.nextInt(4) == 0 ? Long.MAX_VALUE : r.nextInt(9) - 4;
        steps[i] = r.nextBoolean() ? 1 + r.nextInt(2) : -1 - r.nextInt(2);
      }
      return new OneNode(r).in(pick(r, ANY), x).ints(starts).ints(ends).ints(axes).ints(steps).node("Slice");
    }, false));
    c.put("Pad", new Case(r -> {
      String mode = pick(r, List.of("constant", "reflect", "edge", "wrap"));
      long[] x = shape(r, 3, 1);
      for (int d = 0; d < x.length; d++) {
        x[d] = Math.max(x[d], 2);
      }
      long[] pads = new long[2 * x.length];
      for (int i = 0; i < pads.length; i++) {
        pads[i] = mode.equals("constant") ? r.nextInt(5) - 1 : r.nextInt(3);
      }
      DType t = pick(r, List.of(DType.F32, DType.I64, DType.I32));
      OneNode n = new OneNode(r).in(t, x).ints(pads);
      if (mode.equals("constant") && r.nextBoolean()) {
        n.in(t);
      }
      return n.node("Pad", attrs().put("mode", mode).build());
    }, false));
    for (String op : List.of("DepthToSpace", "SpaceToDepth")) {
      c.put(op, new Case(r -> {
        long b = 1 + r.nextInt(2);
        boolean toSpace = op.equals("DepthToSpace");
        long[] x = toSpace
            ? new long[] {1 + r.nextInt(2), b * b * (1 + r.nextInt(2)), 1 + r.nextInt(3), 1 + r.nextInt(3)}
            : new long[] {1 + r.nextInt(2), 1 + r.nextInt(3), b * (1 + r.nextInt(2)), b * (1 + r.nextInt(2))};
        Attributes.Builder a = attrs().put("blocksize", b);
        if (toSpace) {
          a.put("mode", r.nextBoolean() ? "DCR" : "CRD");
        }
        return new OneNode(r).in(pick(r, ANY), x).node(op, a.build());
      }, false));
    }
    c.put("Gather", new Case(r -> {
      long[] x = ReduceCases.nonEmpty(r, shape(r, 3, 1));
      int axis = r.nextInt(x.length);
      long[] idxShape = shape(r, 2);
      OneNode n = new OneNode(r).in(pick(r, ANY), x);
      n.constant(indices(r, idxShape, x[axis], r.nextBoolean() ? DType.I64 : DType.I32));
      return n.node("Gather", attrs().put("axis", (long) (r.nextBoolean() ? axis : axis - x.length)).build());
    }, false));
    c.put("GatherElements", new Case(r -> {
      long[] x = ReduceCases.nonEmpty(r, shape(r, 3, 1));
      int axis = r.nextInt(x.length);
      long[] idxShape = x.clone();
      idxShape[axis] = r.nextInt(4);
      OneNode n = new OneNode(r).in(pick(r, ANY), x);
      n.constant(indices(r, idxShape, x[axis], DType.I64));
      return n.node("GatherElements", attrs().put("axis", (long) axis).build());
    }, false));
    c.put("GatherND", new Case(r -> {
      long[] x = ReduceCases.nonEmpty(r, shape(r, 3, 1));
      int b = x.length > 1 && r.nextBoolean() ? 1 : 0;
      int k = 1 + r.nextInt(x.length - b);
      long[] idxShape = b == 1 ? new long[] {x[0], 1 + r.nextInt(2), k} : new long[] {1 + r.nextInt(3), k};
      OneNode n = new OneNode(r).in(pick(r, ANY), x);
      n.constant(ndIndices(r, idxShape, x, b));
      return n.node("GatherND", attrs().put("batch_dims", (long) b).build());
    }, false));
    c.put("ScatterElements", new Case(r -> {
      long[] x = ReduceCases.nonEmpty(r, shape(r, 3, 1));
      int axis = r.nextInt(x.length);
      long[] idxShape = x.clone();
      idxShape[axis] = r.nextInt(4);
      for (int d = 0; d < x.length; d++) {
        if (d != axis) {
          idxShape[d] = r.nextInt((int) x[d] + 1);
        }
      }
      DType t = pick(r, List.of(DType.F32, DType.I64, DType.I32));
      String reduction = pick(r, List.of("none", "add", "mul", "max", "min"));
      OneNode n = new OneNode(r).in(t, x).constant(indices(r, idxShape, x[axis], DType.I64)).in(t, idxShape);
      return n.node("ScatterElements", attrs().put("axis", (long) (axis - (r.nextBoolean() ? x.length : 0)))
          .put("reduction", reduction).build());
    }, false));
    c.put("ScatterND", new Case(r -> {
      long[] x = ReduceCases.nonEmpty(r, shape(r, 3, 1));
      int k = 1 + r.nextInt(x.length);
      long[] idxShape = {1 + r.nextInt(3), k};
      long[] updates = new long[1 + x.length - k];
      updates[0] = idxShape[0];
      System.arraycopy(x, k, updates, 1, x.length - k);
      DType t = pick(r, List.of(DType.F32, DType.I64));
      String reduction = pick(r, List.of("none", "add", "mul", "max", "min"));
      return new OneNode(r).in(t, x).constant(ndIndices(r, idxShape, x, 0)).in(t, updates)
          .node("ScatterND", attrs().put("reduction", reduction).build());
    }, false));
    c.put("OneHot", new Case(r -> {
      long depth = 1 + r.nextInt(4);
      long[] idx = shape(r, 2);
      OneNode n = new OneNode(r).in(pick(r, List.of(DType.I64, DType.I32, DType.F32)), idx)
          .constant(Tensor.ofLongs(new long[0], depth)).in(pick(r, ANY), 2);
      int axis = r.nextInt(idx.length + 1) - (r.nextBoolean() ? idx.length + 1 : 0);
      return n.node("OneHot", attrs().put("axis", (long) axis).build());
    }, false));
    c.put("ReverseSequence", new Case(r -> {
      boolean batchFirst = r.nextBoolean();
      long batch = 1 + r.nextInt(3);
      long time = 1 + r.nextInt(4);
      long[] x = batchFirst ? new long[] {batch, time, 1 + r.nextInt(2)} : new long[] {time, batch};
      long[] lens = new long[(int) batch];
      for (int b = 0; b < batch; b++) {
        lens[b] = r.nextInt((int) time + 1);
      }
      return new OneNode(r).in(pick(r, ANY), x).ints(lens).node("ReverseSequence", attrs()
          .put("batch_axis", batchFirst ? 0L : 1L).put("time_axis", batchFirst ? 1L : 0L).build());
    }, false));
    c.put("EyeLike", new Case(r -> {
      Attributes.Builder a = attrs().put("k", (long) (r.nextInt(5) - 2));
      if (r.nextBoolean()) {
        a.put("dtype", (long) pick(r, List.of(DType.F32, DType.I64, DType.BOOL)).onnxCode());
      }
      return new OneNode(r).in(pick(r, List.of(DType.F32, DType.I32)), shape(r, 2, 2)).node("EyeLike", a.build());
    }, false));
    c.put("Trilu", new Case(r -> {
      long[] x = shape(r, 3, 2);
      OneNode n = new OneNode(r).in(pick(r, ANY), x);
      if (r.nextBoolean()) {
        n.in(DType.I64);
      }
      return n.node("Trilu", attrs().put("upper", r.nextBoolean() ? 1L : 0L).build());
    }, false));
    // Folded by BindShapes: the lowered program reads them as constants.
    c.put("Shape", new Case(r -> new OneNode(r).in(DType.F32, shape(r, 3)).node("Shape"), false));
    c.put("Size", new Case(r -> new OneNode(r).in(DType.F32, shape(r, 3)).node("Size"), false));
    c.put("Constant", new Case(r -> {
      return new OneNode(r).node("Constant", attrs().putInts("value_ints", 1, 2, 3).build());
    }, false));
    c.put("ConstantOfShape", new Case(r -> new OneNode(r).ints(2, 3)
        .node("ConstantOfShape", attrs().put("value", new dev.kiln.ir.graph.Attribute.TensorAttr(
            Tensor.ofLongs(new long[] {1}, 7))).build()), false));
    c.put("Range", new Case(r -> new OneNode(r)
        .constant(Tensor.scalar(DType.I64, 2)).constant(Tensor.scalar(DType.I64, 9))
        .constant(Tensor.scalar(DType.I64, 3)).node("Range"), false));
  }

  /** Index rows of length {@code shape[-1]} into the dims of {@code data} after the batch dims. */
  static Tensor ndIndices(Random r, long[] shape, long[] data, int batchDims) {
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    int k = (int) shape[shape.length - 1];
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      long size = data[batchDims + i % k];
      v[i] = r.nextInt((int) (2 * size)) - size;
    }
    return Tensor.ofLongs(DType.I64, shape, v);
  }

  /** Random indices in {@code [-size, size)}. */
  static Tensor indices(Random r, long[] shape, long size, DType t) {
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextInt((int) (2 * size)) - size;
    }
    return Tensor.ofLongs(t, shape, v);
  }

  /** A shape with the same element count, possibly using 0 (copy) and -1 (infer). */
  static long[] reshapeTarget(Random r, long[] x) {
    long n = 1;
    for (long d : x) {
      n *= d;
    }
    if (n == 0) {
      return new long[] {0, 5};
    }
    List<Long> factors = new ArrayList<>();
    long rest = n;
    for (long p = 2; p <= rest; p++) {
      while (rest % p == 0) {
        factors.add(p);
        rest /= p;
      }
    }
    java.util.Collections.shuffle(factors, r);
    List<Long> dims = new ArrayList<>();
    for (long f : factors) {
      if (dims.isEmpty() || r.nextBoolean()) {
        dims.add(f);
      } else {
        dims.set(dims.size() - 1, dims.get(dims.size() - 1) * f);
      }
    }
    if (r.nextBoolean()) {
      dims.add(r.nextInt(dims.size() + 1), 1L);
    }
    if (!dims.isEmpty() && r.nextBoolean()) {
      dims.set(r.nextInt(dims.size()), -1L);
    }
    return dims.stream().mapToLong(Long::longValue).toArray();
  }
}
