package dev.kiln.ir.loop;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * The geometry of one dense 2-D convolution, for the {@link Stmt.BlockedConv} intrinsic: channel
 * counts, window, strides, dilations and the zero padding before each axis (the padding after it
 * follows from the output's extent).
 *
 * @param channels C, the input's logical channel count
 * @param outChannels M, the output's logical channel count
 */
public record ConvGeometry(long channels, long outChannels, long kernelH, long kernelW, long strideH,
    long strideW, long dilationH, long dilationW, long padTop, long padLeft) {
  public ConvGeometry {
    checkArgument(channels > 0 && outChannels > 0, "channels %s -> %s", channels, outChannels);
    checkArgument(kernelH > 0 && kernelW > 0, "kernel %s x %s", kernelH, kernelW);
    checkArgument(strideH > 0 && strideW > 0 && dilationH > 0 && dilationW > 0,
        "strides %s, %s and dilations %s, %s must be positive", strideH, strideW, dilationH, dilationW);
    checkArgument(padTop >= 0 && padLeft >= 0, "negative padding %s, %s", padTop, padLeft);
  }

  /** Printed {@code C->M k=KHxKW s=SHxSW d=DHxDW p=TOPxLEFT}. */
  @Override
  public String toString() {
    return channels + "->" + outChannels + " k=" + kernelH + "x" + kernelW + " s=" + strideH + "x" + strideW
        + " d=" + dilationH + "x" + dilationW + " p=" + padTop + "x" + padLeft;
  }
}
