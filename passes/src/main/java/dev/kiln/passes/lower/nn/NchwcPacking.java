package dev.kiln.passes.lower.nn;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Weights and bias of an NCHWc convolution copied into scratch buffers blocked by output
 * channel, so the kernels read them unit-stride along the lanes, with zeros in the lanes past M
 * (which therefore compute 0 and keep the output's pad lanes zero without a conditional).
 * Constant weights and bias are packed here, at compile time, into constants of the program;
 * others by a copy nest that runs with the kernel (a MobileNetV2 run repacked all 17 depthwise
 * layers' weights, scalar and with a division per element, every time).
 */
final class NchwcPacking {
  private NchwcPacking() {}

  /** Appends the packing of W to {@code stmts}: {@code [ceil(M/b), C/group, KH, KW, b]}. */
  static Buffer weights(LoweringContext ctx, NchwcConvOperands op, List<Stmt> stmts) {
    Buffer w = op.w();
    long b = op.block();
    long m = op.outChannels();
    if (op.constantWeights().isPresent()) {
      return ctx.constant("packed_w", packAlongFirstDim(op.constantWeights().get(), b));
    }
    Buffer packed = ctx.scratch("packed_w", DType.F32, Math.ceilDiv(m, b), w.dim(1), w.dim(2),
        w.dim(3), b);
    zeroPadLanes(ctx, packed, m, stmts);
    List<Var> v = Nests.vars(ctx, "w", 4);
    Expr mb = Nests.floorDiv(v.get(0), Exprs.index(b));
    Expr lane = Nests.floorMod(v.get(0), Exprs.index(b));
    stmts.add(Nests.nest(v, w.shapeArray(), Nests.store(packed,
        List.of(mb, v.get(1), v.get(2), v.get(3), lane), Exprs.load(w, v))));
    return packed;
  }

  /** Appends the packing of B, {@code [ceil(M/b), b]}, when there is a bias. */
  static Optional<Buffer> bias(LoweringContext ctx, NchwcConvOperands op, List<Stmt> stmts) {
    if (op.bias().isEmpty()) {
      return Optional.empty();
    }
    long b = op.block();
    long m = op.outChannels();
    Optional<Tensor> constant = ctx.constant(2);
    if (constant.isPresent()) {
      return Optional.of(ctx.constant("packed_b", packAlongFirstDim(constant.get(), b)));
    }
    Buffer packed = ctx.scratch("packed_b", DType.F32, Math.ceilDiv(m, b), b);
    zeroPadLanes(ctx, packed, m, stmts);
    Var v = ctx.var("m");
    stmts.add(Nests.loop(v, m, Nests.store(packed,
        List.of(Nests.floorDiv(v, Exprs.index(b)), Nests.floorMod(v, Exprs.index(b))),
        Exprs.load(op.bias().get(), v))));
    return Optional.of(packed);
  }

  /**
   * {@code t} of shape {@code [M, rest...]} as f32 {@code [ceil(M/b), rest..., b]}: element
   * {@code (m, r)} at {@code [m / b, r, m % b]}, zeros in the lanes past M.
   */
  static Tensor packAlongFirstDim(Tensor t, long b) {
    long[] shape = t.shape();
    long m = shape[0];
    long rest = m == 0 ? 0 : t.size() / m;
    long[] packedShape = new long[shape.length + 1];
    packedShape[0] = Math.ceilDiv(m, b);
    System.arraycopy(shape, 1, packedShape, 1, shape.length - 1);
    packedShape[shape.length] = b;
    dev.kiln.ir.tensor.TensorWriter out = dev.kiln.ir.tensor.TensorWriter.of(DType.F32, packedShape);
    for (long i = 0; i < m; i++) {
      for (long r = 0; r < rest; r++) {
        out.setDouble(((i / b) * rest + r) * b + i % b, t.getDouble(i * rest + r));
      }
    }
    return out.build();
  }

  /** Zeroes the whole buffer when its channel count {@code m} leaves lanes of the last block unused. */
  private static void zeroPadLanes(LoweringContext ctx, Buffer packed, long m, List<Stmt> stmts) {
    if (m % packed.dim(packed.rank() - 1) != 0) {
      List<Var> z = Nests.vars(ctx, "z", packed.rank());
      stmts.add(Nests.nest(z, packed.shapeArray(), Nests.store(packed, z, Exprs.constant(DType.F32, 0))));
    }
  }

  /**
   * Whether W is a compile-time constant of finite values: then a zero border contributes
   * {@code 0 * w = 0} exactly as skipping the tap (the reference) does; an infinite w would give NaN.
   */
  static boolean constantAndFinite(Optional<Tensor> w) {
    if (w.isEmpty()) {
      return false;
    }
    for (long i = 0; i < w.get().size(); i++) {
      if (!Double.isFinite(w.get().getDouble(i))) {
        return false;
      }
    }
    return true;
  }

  /** The statements in one block, nested blocks flattened (the default schedule sees top-level nests). */
  static Stmt block(List<Stmt> stmts) {
    List<Stmt> flat = new ArrayList<>();
    for (Stmt s : stmts) {
      if (s instanceof Stmt.Block b) {
        flat.addAll(b.stmts());
      } else {
        flat.add(s);
      }
    }
    return flat.size() == 1 ? flat.get(0) : Stmt.Block.of(flat);
  }
}
