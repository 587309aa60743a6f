package dev.kiln.passes.lower.nn;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * What follows a convolution's sum, {@code y = activation(sum + bias[m] + residual[n, m, o...])}:
 * Conv has a bias only; a fused convolution (Conv followed by Add and an activation) has all three,
 * which the GEMM paths apply in the matmul epilogue, while the result is still in registers.
 *
 * @param bias a per-output-channel {@code [M]} buffer, added to the sum
 * @param residual a buffer of the output's shape, added after the bias
 * @param activation the scalar function applied last, as a loop-IR expression (identity for Conv)
 */
public record ConvEpilogue(Optional<Buffer> bias, Optional<Buffer> residual, UnaryOperator<Expr> activation) {

  /** Conv's own epilogue: the optional bias. */
  public static ConvEpilogue bias(Optional<Buffer> bias) {
    return new ConvEpilogue(bias, Optional.empty(), UnaryOperator.identity());
  }

  /**
   * Whether anything follows the bias (so a kernel that folds the bias in needs a second pass),
   * for an output of type {@code t}.
   */
  boolean hasResidualOrActivation(dev.kiln.ir.type.DType t) {
    Expr probe = new dev.kiln.ir.loop.Local("probe", t);
    return residual.isPresent() || !activation.apply(probe).equals(probe);
  }

  /** {@code activation(sum + residual)}, for a sum that already holds the bias. */
  Expr afterBias(Expr sum, Optional<Expr> residualValue) {
    return activation.apply(residualValue.map(z -> Exprs.add(sum, z)).orElse(sum));
  }
}
