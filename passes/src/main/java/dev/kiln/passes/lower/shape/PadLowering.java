package dev.kiln.passes.lower.shape;

import static dev.kiln.ir.loop.Exprs.index;
import static dev.kiln.ir.loop.Exprs.load;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import java.util.ArrayList;
import java.util.List;

/**
 * Pad in its four modes. Along each axis, output index {@code o} is position {@code j = o -
 * before} of the kept input (negative pads crop: the kept part starts at {@code first}); inside
 * {@code [0, kept)} it reads there, outside it reads the fill value ({@code constant}), the
 * nearest element ({@code edge}: a clamp), the periodic image ({@code wrap}: floor modulo) or the
 * mirror image ({@code reflect}: modulo {@code 2 (kept - 1)}, folded), as the reference does.
 */
final class PadLowering {
  private PadLowering() {}

  static Stmt lower(LoweringContext ctx) {
    Buffer x = ctx.input(0);
    Buffer out = ctx.output(0);
    int rank = x.rank();
    String mode = ctx.attrs().getString("mode", "constant");
    long[] pads = ctx.requireConstant(1, "pads").toLongArray();
    long[] axes = ctx.hasInput(3)
        ? ctx.requireConstant(3, "axes").toLongArray() : ShapeLowerings.iota(rank);
    long[] first = new long[rank];
    long[] kept = x.shapeArray();
    long[] before = new long[rank];
    for (int k = 0; k < axes.length; k++) {
      int a = Shapes.normalizeAxis(axes[k], rank, "input 3 (axes)");
      long begin = pads[k];
      long end = pads[k + axes.length];
      first[a] = Math.max(0, -begin);
      kept[a] = x.dim(a) + Math.min(begin, 0) + Math.min(end, 0);
      before[a] = Math.max(0, begin);
    }
    DType t = x.dtype();
    boolean hasFill = ctx.hasInput(2) && ctx.input(2).size() > 0;
    return Nests.pointwise(ctx, out, vars -> {
      List<Expr> idx = new ArrayList<>();
      List<Expr> inside = new ArrayList<>();
      for (int d = 0; d < rank; d++) {
        Expr j = Exprs.sub(vars.get(d), index(before[d]));
        boolean alwaysInside = before[d] == 0 && out.dim(d) <= kept[d];
        if (!alwaysInside && mode.equals("constant")) {
          inside.add(Nests.inRange(j, kept[d]));
        } else if (!alwaysInside) {
          j = source(j, kept[d], mode);
        }
        idx.add(Exprs.add(index(first[d]), j));
      }
      Expr value = load(x, idx);
      if (inside.isEmpty()) {
        return value;
      }
      Expr fill = hasFill ? load(ctx.input(2), zeros(ctx.input(2).rank())) : Nests.longConstant(t, 0);
      return Exprs.select(Nests.all(inside), value, fill);
    });
  }

  /** The kept position that position {@code j} (possibly outside) reads in a non-constant mode. */
  private static Expr source(Expr j, long kept, String mode) {
    return switch (mode) {
      case "edge" -> Nests.max(index(0), Nests.min(index(kept - 1), j));
      case "wrap" -> Nests.floorMod(j, index(kept));
      case "reflect" -> {
        if (kept == 1) {
          yield index(0);
        }
        long period = 2 * (kept - 1);
        Expr r = Nests.floorMod(j, index(period));
        yield Exprs.select(Exprs.lt(r, index(kept)), r, Exprs.sub(index(period), r));
      }
      default -> throw new IllegalStateException("unknown Pad mode " + mode);
    };
  }

  private static List<Expr> zeros(int n) {
    List<Expr> z = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      z.add(index(0));
    }
    return z;
  }
}
