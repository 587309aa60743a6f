package dev.kiln.passes.lower.shape;

import static dev.kiln.ir.loop.Exprs.index;
import static dev.kiln.ir.loop.Exprs.load;

import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.ops.shape.SliceOp;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import dev.kiln.passes.lower.OpLowering;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Operators that move data: every output element reads one input element (or a fill value)
 * found by index arithmetic on the output indices. Shape-carrying inputs (Reshape's shape,
 * Slice's starts, Pad's pads, ...) are compile-time constants by now, and the output shapes are
 * static, so most of these need nothing but the buffers' shapes: a reshape is a row-major flat
 * copy, Expand is broadcasting, Tile is a modulo, Split an offset along its axis.
 */
public final class ShapeLowerings {
  private ShapeLowerings() {}

  public static Map<String, OpLowering> all() {
    Map<String, OpLowering> all = new LinkedHashMap<>();
    for (String op : List.of("Reshape", "Flatten", "Squeeze", "Unsqueeze")) {
      all.put(op, ShapeLowerings::flatCopy);
    }
    all.put("Transpose", ShapeLowerings::transpose);
    all.put("Expand", ctx -> Nests.pointwise(ctx, ctx.output(0),
        vars -> Nests.loadBroadcast(ctx.input(0), vars)));
    all.put("Tile", ShapeLowerings::tile);
    all.put("Concat", ShapeLowerings::concat);
    all.put("Split", ShapeLowerings::split);
    all.put("Slice", ShapeLowerings::slice);
    all.put("Pad", PadLowering::lower);
    all.put("DepthToSpace", ctx -> SpaceDepthLowering.lower(ctx, true));
    all.put("SpaceToDepth", ctx -> SpaceDepthLowering.lower(ctx, false));
    all.put("Trilu", ShapeLowerings::trilu);
    all.putAll(IndexingLowerings.all());
    all.putAll(ScatterLowerings.all());
    all.putAll(ValueLowerings.all());
    return all;
  }

  /** Same elements in the same row-major order: output index -> flat offset -> input index. */
  private static Stmt flatCopy(LoweringContext ctx) {
    Buffer in = ctx.input(0);
    Buffer out = ctx.output(0);
    return Nests.pointwise(ctx, out, vars ->
        load(in, Nests.unflatten(Nests.flatten(vars, out.shapeArray()), in.shapeArray())));
  }

  private static Stmt transpose(LoweringContext ctx) {
    Buffer in = ctx.input(0);
    int rank = in.rank();
    long[] perm = ctx.attrs().getInts("perm").orElseGet(() -> {
      long[] reversed = new long[rank];
      for (int i = 0; i < rank; i++) {
        reversed[i] = rank - 1 - i;
      }
      return reversed;
    });
    return Nests.pointwise(ctx, ctx.output(0), vars -> {
      // Output dim p is input dim perm[p].
      Expr[] idx = new Expr[rank];
      for (int p = 0; p < rank; p++) {
        idx[(int) perm[p]] = vars.get(p);
      }
      return load(in, List.of(idx));
    });
  }

  private static Stmt tile(LoweringContext ctx) {
    Buffer in = ctx.input(0);
    return Nests.pointwise(ctx, ctx.output(0), vars -> {
      List<Expr> idx = new ArrayList<>();
      for (int d = 0; d < in.rank(); d++) {
        idx.add(in.dim(d) == ctx.output(0).dim(d)
            ? vars.get(d) : Nests.floorMod(vars.get(d), index(in.dim(d))));
      }
      return load(in, idx);
    });
  }

  /** One nest per input, each writing its block of the output at its offset along the axis. */
  private static Stmt concat(LoweringContext ctx) {
    Buffer out = ctx.output(0);
    int axis = Shapes.normalizeAxis(ctx.attrs().getInt("axis", 0), out.rank(), "attribute 'axis'");
    List<Stmt> nests = new ArrayList<>();
    long offset = 0;
    for (int i = 0; i < ctx.inputCount(); i++) {
      Buffer in = ctx.input(i);
      List<Var> vars = Nests.vars(ctx, "i", in.rank());
      List<Expr> outIdx = new ArrayList<>(vars);
      outIdx.set(axis, Exprs.add(vars.get(axis), index(offset)));
      nests.add(Nests.nest(vars, in.shapeArray(), Nests.store(out, outIdx, load(in, vars))));
      offset += in.dim(axis);
    }
    return Stmt.Block.of(nests);
  }

  /** One nest per output, reading the input at the output's offset along the axis. */
  private static Stmt split(LoweringContext ctx) {
    Buffer in = ctx.input(0);
    int axis = Shapes.normalizeAxis(ctx.attrs().getInt("axis", 0), in.rank(), "attribute 'axis'");
    List<Stmt> nests = new ArrayList<>();
    long offset = 0;
    for (int o = 0; o < ctx.outputCount(); o++) {
      Buffer out = ctx.output(o);
      long start = offset;
      nests.add(Nests.pointwise(ctx, out, vars -> {
        List<Expr> idx = new ArrayList<>(vars);
        idx.set(axis, Exprs.add(vars.get(axis), index(start)));
        return load(in, idx);
      }));
      offset += out.dim(axis);
    }
    return Stmt.Block.of(nests);
  }

  /** Input index {@code start + i * step} per axis, from {@link SliceOp#slice}'s normalization. */
  private static Stmt slice(LoweringContext ctx) {
    Buffer in = ctx.input(0);
    long[] starts = ctx.requireConstant(1, "starts").toLongArray();
    long[] ends = ctx.requireConstant(2, "ends").toLongArray();
    long[] axes = ctx.hasInput(3) ? ctx.requireConstant(3, "axes").toLongArray() : iota(starts.length);
    long[] steps = ctx.hasInput(4)
        ? ctx.requireConstant(4, "steps").toLongArray() : ones(starts.length);
    long[] first = new long[in.rank()];
    long[] step = ones(in.rank());
    for (int k = 0; k < axes.length; k++) {
      int a = Shapes.normalizeAxis(axes[k], in.rank(), "input 3 (axes)");
      SliceOp.AxisSlice s = SliceOp.slice(in.dim(a), starts[k], ends[k], steps[k]);
      first[a] = s.start();
      step[a] = s.step();
    }
    return Nests.pointwise(ctx, ctx.output(0), vars -> {
      List<Expr> idx = new ArrayList<>();
      for (int d = 0; d < in.rank(); d++) {
        idx.add(Exprs.add(index(first[d]), Exprs.mul(vars.get(d), index(step[d]))));
      }
      return load(in, idx);
    });
  }

  /** Keeps element (i, j) of each matrix where {@code j - i >= k} (upper) or {@code <= k}. */
  private static Stmt trilu(LoweringContext ctx) {
    Buffer in = ctx.input(0);
    boolean upper = ctx.attrs().getInt("upper", 1) == 1;
    Expr k = ctx.hasInput(1) ? Exprs.cast(DType.I64, Nests.loadScalar(ctx.input(1)))
        : Nests.longConstant(DType.I64, 0);
    return Nests.pointwise(ctx, ctx.output(0), vars -> {
      Expr diagonal = Exprs.cast(DType.I64,
          Exprs.sub(vars.get(in.rank() - 1), vars.get(in.rank() - 2)));
      Expr keep = new Expr.Binary(upper ? BinaryOp.GE : BinaryOp.LE, diagonal, k);
      return Exprs.select(keep, load(in, vars), Nests.longConstant(in.dtype(), 0));
    });
  }

  static long[] iota(int n) {
    long[] a = new long[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    return a;
  }

  static long[] ones(int n) {
    long[] a = new long[n];
    java.util.Arrays.fill(a, 1);
    return a;
  }
}
