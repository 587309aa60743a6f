package dev.kiln.passes.lower.nn;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.ConvGeometry;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.LoweringContext;

/**
 * The direct convolution of the blocked layout: a dense NCHWc convolution as one
 * {@link Stmt.BlockedConv} intrinsic, which code generation turns into a register-blocked
 * microkernel over packed weights (MLAS's NCHWc algorithm), with bias, residual and activation
 * applied in registers. Takes any dense 2-D f32 geometry: strides, dilations, asymmetric pads,
 * channel counts that are not multiples of the block, and an NCHW input (the first convolution of
 * an image network, C = 3: MLAS's "NCHW in, NCHWc out" kernel, one input channel per lane step).
 */
public final class NchwcDirectConv {
  private NchwcDirectConv() {}

  /** Dense (group 1) 2-D f32 convolutions. */
  public static boolean supports(NchwcConvOperands op) {
    if (op.depthwise() || op.kernel().length != 2 || op.strides().length != 2 || op.dilations().length != 2
        || op.padBegin().length != 2) {
      return false;
    }
    for (Buffer b : new Buffer[] {op.x(), op.w(), op.y()}) {
      if (b.dtype() != DType.F32) {
        return false;
      }
    }
    if (op.bias().map(b -> b.dtype() != DType.F32).orElse(false)
        || op.residual().map(b -> b.dtype() != DType.F32 || !b.shape().equals(op.y().shape())).orElse(false)) {
      return false;
    }
    long block = op.block();
    return op.w().dim(1) == op.channels() && op.w().dim(2) == op.kernel()[0] && op.w().dim(3) == op.kernel()[1]
        && op.x().dim(1) == (op.nchwInput() ? op.channels() : (op.channels() + block - 1) / block)
        && op.y().dim(1) == (op.outChannels() + block - 1) / block
        && op.x().dim(0) == op.y().dim(0);
  }

  public static Stmt lower(LoweringContext ctx, NchwcConvOperands op) {
    if (!supports(op)) {
      throw new IllegalArgumentException("NchwcDirectConv takes dense 2-D f32 convolutions, got " + op.w()
          + " (group " + op.group() + ")");
    }
    ConvGeometry g = new ConvGeometry(op.channels(), op.outChannels(), op.kernel()[0], op.kernel()[1],
        op.strides()[0], op.strides()[1], op.dilations()[0], op.dilations()[1], op.padBegin()[0],
        op.padBegin()[1]);
    Local acc = ctx.local("acc", DType.F32);
    ImmutableList.Builder<Stmt.ConvAddend> addends = ImmutableList.builder();
    Expr sum = acc;
    if (op.bias().isPresent()) {
      Local bias = ctx.local("b", DType.F32);
      addends.add(new Stmt.ConvAddend(bias, op.bias().get(), true));
      sum = Exprs.add(sum, bias);
    }
    if (op.residual().isPresent()) {
      Local residual = ctx.local("z", DType.F32);
      addends.add(new Stmt.ConvAddend(residual, op.residual().get(), false));
      sum = Exprs.add(sum, residual);
    }
    return new Stmt.BlockedConv(op.x(), op.w(), op.y(), g, acc, addends.build(), op.activation().apply(sum));
  }
}
