package dev.kiln.ir.tensor;

import dev.kiln.ir.type.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A mutable, write-once buffer that becomes an immutable {@link Tensor}. Setters convert like
 * ONNX {@code Cast}: reals to integers truncate toward zero, to f16/bf16 round to nearest even,
 * anything non-zero to {@code true}.
 */
public final class TensorWriter {
  private final DType dtype;
  private final long[] shape;
  private final long size;
  private MemorySegment data;

  private TensorWriter(DType dtype, long[] shape) {
    this.dtype = dtype;
    this.shape = shape.clone();
    this.size = Tensor.elementCount(shape);
    long bytes = size * dtype.byteSize();
    // Heap memory for small tensors keeps tests light; big ones go off-heap, freed by the GC.
    this.data = bytes <= Integer.MAX_VALUE - 16
        ? MemorySegment.ofArray(new long[(int) ((bytes + 7) / 8)]).asSlice(0, bytes)
        : Arena.ofAuto().allocate(bytes, 64);
  }

  public static TensorWriter of(DType dtype, long... shape) {
    return new TensorWriter(dtype, shape);
  }

  public DType dtype() {
    return dtype;
  }

  public long[] shape() {
    return shape.clone();
  }

  public long size() {
    return size;
  }

  public TensorWriter setDouble(long i, double v) {
    long off = i * dtype.byteSize();
    switch (dtype) {
      case F32 -> data.set(Tensor.F32, off, (float) v);
      case F64 -> data.set(Tensor.F64, off, v);
      case F16 -> data.set(Tensor.I16, off, Float.floatToFloat16((float) v));
      case BF16 -> data.set(Tensor.I16, off, floatToBf16((float) v));
      case BOOL -> data.set(ValueLayout.JAVA_BYTE, off, (byte) (v != 0.0 ? 1 : 0));
      case U64 -> setLong(i, doubleToUnsigned(v));
      default -> setLong(i, (long) v);
    }
    return this;
  }

  public TensorWriter setLong(long i, long v) {
    long off = i * dtype.byteSize();
    switch (dtype) {
      case I8, U8 -> data.set(ValueLayout.JAVA_BYTE, off, (byte) v);
      case I16, U16 -> data.set(Tensor.I16, off, (short) v);
      case I32, U32 -> data.set(Tensor.I32, off, (int) v);
      case I64, U64 -> data.set(Tensor.I64, off, v);
      case BOOL -> data.set(ValueLayout.JAVA_BYTE, off, (byte) (v != 0 ? 1 : 0));
      case F32, F64, F16, BF16 -> setDouble(i, (double) v);
    }
    return this;
  }

  public TensorWriter setBoolean(long i, boolean v) {
    return setLong(i, v ? 1 : 0);
  }

  /** Copies element {@code from} of {@code src} (same dtype) into element {@code to}, bit-exact. */
  public TensorWriter copyElement(Tensor src, long from, long to) {
    int w = dtype.byteSize();
    MemorySegment.copy(src.data(), from * w, data, to * w, w);
    return this;
  }

  /** The finished tensor; the writer must not be used afterwards. */
  public Tensor build() {
    MemorySegment done = data;
    data = null;
    return Tensor.wrap(dtype, shape, done);
  }

  static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounding = 0x7fff + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  private static long doubleToUnsigned(double v) {
    if (v >= 9.223372036854775807E18) {
      return (long) (v - 9.223372036854775807E18) + Long.MIN_VALUE;
    }
    return (long) v;
  }
}
