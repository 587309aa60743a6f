package dev.kiln.passes.lower.shape;

import static dev.kiln.ir.loop.Exprs.index;
import static dev.kiln.ir.loop.Exprs.load;
import static dev.kiln.passes.lower.Nests.floorDiv;
import static dev.kiln.passes.lower.Nests.floorMod;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import java.util.List;

/**
 * DepthToSpace and SpaceToDepth as index arithmetic on [N, C, H, W]: the reference's
 * reshape-permute-reshape, solved for the input index of each output element. With block size
 * {@code b}, output row {@code h * b + b1} and column {@code w * b + b2} of DepthToSpace come from
 * channel {@code (b1 * b + b2) * C' + c} (DCR) or {@code c * b * b + b1 * b + b2} (CRD);
 * SpaceToDepth is the DCR inverse.
 */
final class SpaceDepthLowering {
  private SpaceDepthLowering() {}

  static Stmt lower(LoweringContext ctx, boolean toSpace) {
    Buffer x = ctx.input(0);
    Buffer out = ctx.output(0);
    long b = ctx.attrs().getInt("blocksize", 1);
    Expr bb = index(b);
    return Nests.pointwise(ctx, out, v -> {
      Expr n = v.get(0);
      Expr c = v.get(1);
      Expr h = v.get(2);
      Expr w = v.get(3);
      if (toSpace) {
        Expr b1 = floorMod(h, bb);
        Expr b2 = floorMod(w, bb);
        Expr block = Exprs.add(Exprs.mul(b1, bb), b2);
        Expr channel = ctx.attrs().getString("mode", "DCR").equals("CRD")
            ? Exprs.add(Exprs.mul(c, index(b * b)), block)
            : Exprs.add(Exprs.mul(block, index(out.dim(1))), c);
        return load(x, List.of(n, channel, floorDiv(h, bb), floorDiv(w, bb)));
      }
      long channels = x.dim(1);
      Expr block = floorDiv(c, index(channels));
      Expr b1 = floorDiv(block, bb);
      Expr b2 = floorMod(block, bb);
      return load(x, List.of(n, floorMod(c, index(channels)),
          Exprs.add(Exprs.mul(h, bb), b1), Exprs.add(Exprs.mul(w, bb), b2)));
    });
  }
}
