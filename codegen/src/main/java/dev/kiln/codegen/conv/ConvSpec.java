package dev.kiln.codegen.conv;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.ConvGeometry;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;

/**
 * What the {@link ConvGenerator} needs of one {@link Stmt.BlockedConv}: every extent (they become
 * literals of the generated code), the epilogue's locals and whether the weights are packed.
 *
 * @param inBlocks ceil(C / inBlock)
 * @param outBlocks ceil(M / block)
 * @param inBlock the lanes of one input block: block, or 1 when the input is NCHW (the first
 *     convolution of an image network: broadcast x[c][h][w], fma with b output channels)
 * @param packedWeights the weights are already {@code [outBlocks, inBlocks, KH, KW, inBlock, b]}
 *     ({@link PackedConvWeights}); else ONNX's {@code [M, C, KH, KW]}, packed at run time
 */
public record ConvSpec(int batch, int inBlocks, int height, int width, int outBlocks, int outHeight,
    int outWidth, int block, int inBlock, ConvGeometry geometry, Local acc, ImmutableList<Stmt.ConvAddend> addends,
    boolean plainEpilogue, boolean packedWeights) {

  public static ConvSpec of(Stmt.BlockedConv cv, boolean packedWeights) {
    return new ConvSpec((int) cv.x().dim(0), (int) cv.x().dim(1), (int) cv.x().dim(2), (int) cv.x().dim(3),
        (int) cv.y().dim(1), (int) cv.y().dim(2), (int) cv.y().dim(3), cv.block(), cv.inputBlock(),
        cv.geometry(), cv.acc(),
        cv.addends(), cv.plainEpilogue(), packedWeights);
  }

  /** Multiply-adds of the whole convolution, counting pad lanes (what the kernel executes). */
  public long macs() {
    ConvGeometry g = geometry;
    return (long) batch * outBlocks * block * outHeight * outWidth * inBlocks * inBlock * g.kernelH() * g.kernelW();
  }

  /** Floats of the packed weights. */
  public long packedWeightSize() {
    return (long) outBlocks * inBlocks * geometry.kernelH() * geometry.kernelW() * inBlock * block;
  }
}
