package dev.kiln.passes.lower.nn;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** Operands of square dense NCHWc convolutions (pad k / 2, bias), for tests of the providers' choices. */
final class NchwcTestOperands {
  private NchwcTestOperands() {}

  static NchwcConvOperands operands(long n, long c, long m, long h, long w, long k, long stride,
      Optional<Tensor> weights) {
    long b = 16;
    long pad = k / 2;
    long oh = (h + 2 * pad - k) / stride + 1;
    long ow = (w + 2 * pad - k) / stride + 1;
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, n, Math.ceilDiv(c, b), h, w, b);
    Buffer wb = Buffer.of("w", DType.F32, weights.isPresent() ? BufferRole.CONSTANT : BufferRole.INPUT, m, c, k, k);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, n, Math.ceilDiv(m, b), oh, ow, b);
    return new NchwcConvOperands(x, wb, weights, Optional.of(Buffer.of("b", DType.F32, BufferRole.INPUT, m)),
        Optional.empty(), y, (int) b, c, new long[] {k, k}, new long[] {stride, stride}, new long[] {1, 1},
        new long[] {pad, pad}, new long[] {pad, pad}, 1, UnaryOperator.identity());
  }
}
