package dev.kiln.passes.lower;

import static dev.kiln.passes.lower.Cases.pick;
import static dev.kiln.passes.lower.Cases.shape;
import static dev.kiln.passes.lower.Differential.attrs;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.Cases.Case;
import dev.kiln.passes.lower.Differential.OneNode;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Convolution and pooling in 1-D and 2-D with random pads, auto_pad, strides, dilations, groups
 * and ceil mode; normalizations and softmax with random (negative) axes.
 */
final class NnCases {
  private NnCases() {}

  static void add(Map<String, Case> c) {
    c.put("Conv", new Case(r -> {
      int spatial = 1 + r.nextInt(2);
      long group = r.nextInt(3) == 0 ? 2 : 1;
      long perGroup = 1 + r.nextInt(2);
      long outChannels = group * (1 + r.nextInt(2));
      long[] kernel = new long[spatial];
      long[] x = new long[2 + spatial];
      x[0] = 1 + r.nextInt(2);
      x[1] = group * perGroup;
      for (int a = 0; a < spatial; a++) {
        kernel[a] = 1 + r.nextInt(3);
        x[2 + a] = 3 + r.nextInt(4);
      }
      long[] w = new long[2 + spatial];
      w[0] = outChannels;
      w[1] = perGroup;
      System.arraycopy(kernel, 0, w, 2, spatial);
      Attributes.Builder a = window(r, spatial, kernel, false).put("group", group);
      OneNode n = new OneNode(r).in(DType.F32, x);
      if (r.nextBoolean()) {
        n.in(DType.F32, w);
      } else {
        n.constant(Differential.random(DType.F32, w, r, false));
      }
      if (r.nextBoolean()) {
        n.in(DType.F32, outChannels);
      }
      return n.node("Conv", a.build());
    }, false));
    c.put("MaxPool", new Case(r -> {
      int spatial = 1 + r.nextInt(2);
      long[] kernel = kernel(r, spatial);
      DType t = pick(r, List.of(DType.F32, DType.F64, DType.U8, DType.I8));
      Attributes.Builder a = window(r, spatial, kernel, true).putInts("kernel_shape", kernel);
      if (r.nextBoolean()) {
        a.put("storage_order", 1L);
      }
      return new OneNode(r).in(t, image(r, spatial)).node("MaxPool", a.build(), 1 + r.nextInt(2));
    }, false));
    c.put("AveragePool", new Case(r -> {
      int spatial = 1 + r.nextInt(2);
      long[] kernel = kernel(r, spatial);
      Attributes.Builder a = window(r, spatial, kernel, true).putInts("kernel_shape", kernel)
          .put("count_include_pad", r.nextBoolean() ? 1L : 0L);
      return new OneNode(r).in(pick(r, List.of(DType.F32, DType.F64)), image(r, spatial))
          .node("AveragePool", a.build());
    }, false));
    for (String op : List.of("GlobalAveragePool", "GlobalMaxPool")) {
      c.put(op, new Case(r -> new OneNode(r).in(pick(r, List.of(DType.F32, DType.F64, DType.F16)),
          image(r, 1 + r.nextInt(2))).node(op), false));
    }
    c.put("BatchNormalization", new Case(r -> {
      long[] x = image(r, 1 + r.nextInt(2));
      DType t = pick(r, List.of(DType.F32, DType.F64));
      OneNode n = new OneNode(r).in(t, x).in(t, x[1]).in(t, x[1]).in(t, x[1]);
      n.constant(positive(t, x[1], r));
      return n.node("BatchNormalization", attrs().put("epsilon", 1e-3f).build());
    }, false));
    // Training mode: batch statistics, and the running ones as outputs 1 and 2 when present.
    c.put("BatchNormalization training", new Case(r -> {
      long[] x = image(r, r.nextInt(3));
      DType t = pick(r, List.of(DType.F32, DType.F64));
      OneNode n = new OneNode(r).in(t, x).in(t, x[1]).in(t, x[1]).in(t, x[1]);
      n.constant(positive(t, x[1], r));
      return n.node("BatchNormalization", attrs().put("training_mode", 1L)
          .put("momentum", r.nextFloat()).put("epsilon", 1e-3f).build(), 1 + r.nextInt(3));
    }, false));
    c.put("MeanVarianceNormalization", new Case(r -> {
      long[] x = image(r, 1 + r.nextInt(2));
      DType t = pick(r, List.of(DType.F32, DType.F64));
      var a = attrs();
      if (r.nextBoolean()) {
        List<Long> axes = new java.util.ArrayList<>();
        for (int d = 0; d < x.length; d++) {
          if (r.nextBoolean()) {
            axes.add((long) (r.nextBoolean() ? d : d - x.length));
          }
        }
        a.putInts("axes", axes.stream().mapToLong(Long::longValue).toArray());
      } else if (x.length < 4) {
        a.putInts("axes", 0, 2);
      }
      return new OneNode(r).in(t, x).node("MeanVarianceNormalization", a.build());
    }, false));
    c.put("InstanceNormalization", new Case(r -> {
      long[] x = image(r, 1 + r.nextInt(2));
      DType t = pick(r, List.of(DType.F32, DType.F64));
      return new OneNode(r).in(t, x).in(t, x[1]).in(t, x[1]).node("InstanceNormalization");
    }, false));
    c.put("LayerNormalization", new Case(r -> {
      long[] x = ReduceCases.nonEmpty(r, shape(r, 3, 1));
      int axis = r.nextInt(x.length);
      DType t = pick(r, List.of(DType.F32, DType.F64));
      long[] scale = java.util.Arrays.copyOfRange(x, axis + r.nextInt(x.length - axis), x.length);
      OneNode n = new OneNode(r).in(t, x).in(t, scale);
      if (r.nextBoolean()) {
        n.in(t, scale);
      }
      return n.node("LayerNormalization", attrs().put("axis", (long) (r.nextBoolean() ? axis : axis - x.length))
          .build(), 1 + r.nextInt(3));
    }, false));
    c.put("LRN", new Case(r -> new OneNode(r).in(DType.F32, image(r, 1 + r.nextInt(2)))
        .node("LRN", attrs().put("size", 1L + r.nextInt(4)).put("alpha", 0.01f).build()), false));
    c.put("Hardmax", new Case(r -> {
      long[] x = shape(r, 3, 1);
      int axis = r.nextInt(x.length) - (r.nextBoolean() ? x.length : 0);
      return new OneNode(r).in(pick(r, List.of(DType.F32, DType.F64, DType.F16)), x)
          .node("Hardmax", attrs().put("axis", (long) axis).build());
    }, false));
    for (String op : List.of("Softmax", "LogSoftmax")) {
      c.put(op, new Case(r -> {
        long[] x = shape(r, 3, 1);
        int axis = r.nextInt(x.length) - (r.nextBoolean() ? x.length : 0);
        return new OneNode(r).in(pick(r, List.of(DType.F32, DType.F64, DType.F16)), x)
            .node(op, attrs().put("axis", (long) axis).build());
      }, false));
    }
  }

  /** [N, C, spatial...] with small positive sizes. */
  static long[] image(Random r, int spatial) {
    long[] x = new long[2 + spatial];
    x[0] = 1 + r.nextInt(2);
    x[1] = 1 + r.nextInt(3);
    for (int a = 0; a < spatial; a++) {
      x[2 + a] = 3 + r.nextInt(4);
    }
    return x;
  }

  static long[] kernel(Random r, int spatial) {
    long[] k = new long[spatial];
    for (int a = 0; a < spatial; a++) {
      k[a] = 1 + r.nextInt(3);
    }
    return k;
  }

  /** Random strides, dilations (not for pooling's pads rule) and pads or auto_pad. */
  static Attributes.Builder window(Random r, int spatial, long[] kernel, boolean pooling) {
    Attributes.Builder a = attrs();
    long[] strides = new long[spatial];
    long[] dilations = new long[spatial];
    long[] pads = new long[2 * spatial];
    for (int i = 0; i < spatial; i++) {
      strides[i] = 1 + r.nextInt(2);
      dilations[i] = pooling ? 1 : 1 + r.nextInt(2);
      long extent = (kernel[i] - 1) * dilations[i] + 1;
      pads[i] = r.nextInt((int) Math.min(extent, 2));
      pads[spatial + i] = r.nextInt((int) Math.min(extent, 2));
    }
    a.putInts("strides", strides);
    if (!pooling) {
      a.putInts("dilations", dilations);
    }
    switch (r.nextInt(4)) {
      case 0 -> a.put("auto_pad", pick(r, List.of("SAME_UPPER", "SAME_LOWER", "VALID")));
      default -> a.putInts("pads", pads);
    }
    if (pooling && r.nextBoolean()) {
      a.put("ceil_mode", 1L);
    }
    return a;
  }

  static dev.kiln.ir.tensor.Tensor positive(DType t, long n, Random r) {
    double[] v = new double[(int) n];
    for (int i = 0; i < n; i++) {
      v[i] = 0.5 + r.nextDouble();
    }
    return dev.kiln.ir.tensor.Tensor.ofDoubles(t, new long[] {n}, v);
  }
}
