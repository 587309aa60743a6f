package dev.kiln.codegen.gemm;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.Local;

/**
 * One f32 matrix multiply as the generator sees it: {@code c(i, j) = epilogue(acc = sum_p a(i, p)
 * b(p, j), addends(i, j))} with every extent and stride a compile-time constant (element strides
 * into flat arrays; the base offsets are arguments of the generated method).
 *
 * @param packedB B is a constant already packed in {@link PackedWeights}' panel layout (its
 *     strides are then unused)
 */
public record GemmSpec(int m, int n, int k, long aRowStride, long aColStride, long bRowStride,
    long bColStride, long cRowStride, Local acc, ImmutableList<Addend> addends, boolean plainEpilogue,
    boolean packedB) {
  public GemmSpec {
    addends = ImmutableList.copyOf(addends);
  }

  /** This spec with a fixed accumulator name: what a plain epilogue's code does not depend on. */
  public GemmSpec withoutAccumulator() {
    return new GemmSpec(m, n, k, aRowStride, aColStride, bRowStride, bColStride, cRowStride,
        new Local("acc", acc.type()), addends, plainEpilogue, packedB);
  }

  /** An addend read by the epilogue as {@code local}, at element {@code base + i * rowStride + j * colStride}. */
  public record Addend(Local local, long rowStride, long colStride) {}
}
