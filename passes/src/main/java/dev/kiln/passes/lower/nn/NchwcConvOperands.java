package dev.kiln.passes.lower.nn;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.tensor.Tensor;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The operands of one 2-D convolution in the blocked channel layout NCHWc, as the buffers of the
 * kernel that computes it: what every NCHWc convolution algorithm (direct, depthwise, Winograd)
 * takes, so that the lowering of {@code NchwcConv} can choose among them per layer.
 *
 * <p>The layout: a logical NCHW tensor {@code [N, C, H, W]} is stored as
 * {@code [N, ceil(C/b), H, W, b]} with {@code b = block}, element {@code (n, c, h, w)} at
 * {@code [n, c / b, h, w, c % b]}. Lanes past the last channel ({@code c >= C}) hold zeros, and
 * every kernel writing a blocked tensor keeps them zero (the layout pass admits only epilogues
 * whose activation maps 0 to 0).
 *
 * @param x the input, {@code [N, ceil(C/b), H, W, b]}; or, for a dense convolution of few
 *     channels (the first one of an image network), NCHW {@code [N, C, H, W]} ({@link #nchwInput})
 * @param w the weights in ONNX's order, {@code [M, C/group, KH, KW]} (not blocked: how a kernel
 *     packs them is its own business, at compile time when they are constant)
 * @param constantWeights w's value when it is a compile-time constant
 * @param bias {@code [M]}, added to every output of its channel
 * @param residual added after the bias and before the activation; y's shape
 * @param y the output, {@code [N, ceil(M/b), OH, OW, b]}
 * @param block the lanes per channel block, b
 * @param channels C, the input's logical channel count
 * @param kernel KH, KW
 * @param strides along H, W
 * @param dilations along H, W
 * @param padBegin zero padding before H, W (top, left)
 * @param padEnd zero padding after H, W (bottom, right)
 * @param group 1 (dense) or C (depthwise, M == C)
 * @param activation the activation of one element, the identity when none; maps 0 to 0
 */
public record NchwcConvOperands(
    Buffer x,
    Buffer w,
    Optional<Tensor> constantWeights,
    Optional<Buffer> bias,
    Optional<Buffer> residual,
    Buffer y,
    int block,
    long channels,
    long[] kernel,
    long[] strides,
    long[] dilations,
    long[] padBegin,
    long[] padEnd,
    long group,
    UnaryOperator<Expr> activation) {

  public NchwcConvOperands {
    checkArgument((x.shape().size() == 5 || (x.shape().size() == 4 && group == 1)) && y.shape().size() == 5,
        "blocked input (or NCHW input of a dense convolution) and output are 5-D, got %s and %s", x, y);
    checkArgument(w.shape().size() == 4, "weights are [M, C/group, KH, KW], got %s", w);
    checkArgument(block > 0 && (x.shape().size() == 4 || x.shape().get(4) == block) && y.shape().get(4) == block,
        "block %s does not match %s and %s", block, x, y);
    checkArgument(group == 1 || (group == channels && outChannels(w) == channels),
        "only dense (group 1) and depthwise convolutions are blocked, got group %s", group);
  }

  private static long outChannels(Buffer w) {
    return w.shape().get(0);
  }

  /** M, the output's logical channel count. */
  public long outChannels() {
    return outChannels(w);
  }

  /**
   * Whether x is plain NCHW rather than blocked: only the direct convolution
   * ({@link NchwcDirectConv}) takes such an input; every other provider must refuse it.
   */
  public boolean nchwInput() {
    return x.shape().size() == 4;
  }

  public boolean depthwise() {
    return group > 1;
  }

  public long batch() {
    return x.shape().get(0);
  }

  public long inHeight() {
    return x.shape().get(2);
  }

  public long inWidth() {
    return x.shape().get(3);
  }

  public long outHeight() {
    return y.shape().get(2);
  }

  public long outWidth() {
    return y.shape().get(3);
  }
}
