package dev.kiln.ir.tensor;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.ObjIntConsumer;

/**
 * An immutable dense tensor with a static shape: constants, weights, interpreter values.
 *
 * <p>Elements are stored row-major in little-endian order in a {@link MemorySegment}, which may
 * live on the heap, off-heap, or be memory-mapped from a weights file (so that a model's weights are
 * not copied onto the heap). Tensors over 2 GiB are fine: offsets are {@code long}.
 *
 * <p>Element access goes through {@link #getDouble}, {@link #getLong} and {@link #getBoolean},
 * which convert from the storage type; they are for reference code and tests, not for hot loops.
 */
public final class Tensor {
  static final ValueLayout.OfFloat F32 =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfDouble F64 =
      ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfShort I16 =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfInt I32 =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfLong I64 =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final DType dtype;
  private final long[] shape;
  private final long size;
  private final MemorySegment data;
  /** The Java array {@code data} is, whole, or null ({@link #array()}). */
  private final Object array;

  private Tensor(DType dtype, long[] shape, MemorySegment data) {
    this.dtype = dtype;
    this.shape = shape.clone();
    this.size = elementCount(shape);
    this.array = wholeArray(data);
    this.data = data.asReadOnly();
    checkArgument(
        data.byteSize() == size * dtype.byteSize(),
        "tensor %s%s needs %s bytes, got %s",
        dtype,
        Arrays.toString(shape),
        size * dtype.byteSize(),
        data.byteSize());
  }

  /**
   * Wraps little-endian element data without copying it. The segment must not be changed
   * afterwards (a memory-mapped read-only file, or a buffer the caller gives up).
   */
  public static Tensor wrap(DType dtype, long[] shape, MemorySegment data) {
    for (long d : shape) {
      checkArgument(d >= 0, "negative dimension in %s", Arrays.toString(shape));
    }
    return new Tensor(dtype, shape, data);
  }

  /** A copy of little-endian bytes as a tensor. */
  public static Tensor fromBytes(DType dtype, long[] shape, byte[] littleEndian) {
    MemorySegment seg = Arena.ofAuto().allocate(Math.max(littleEndian.length, 1), 8)
        .asSlice(0, littleEndian.length);
    MemorySegment.copy(MemorySegment.ofArray(littleEndian), 0, seg, 0, littleEndian.length);
    return wrap(dtype, shape, seg);
  }

  public static Tensor ofFloats(long[] shape, float... values) {
    return filled(DType.F32, shape, values.length, (w, i) -> w.setDouble(i, values[i]));
  }

  public static Tensor ofDoubles(long[] shape, double... values) {
    return ofDoubles(DType.F64, shape, values);
  }

  public static Tensor ofLongs(long[] shape, long... values) {
    return ofLongs(DType.I64, shape, values);
  }

  public static Tensor ofInts(long[] shape, int... values) {
    return filled(DType.I32, shape, values.length, (w, i) -> w.setLong(i, values[i]));
  }

  public static Tensor ofBooleans(long[] shape, boolean... values) {
    return filled(DType.BOOL, shape, values.length, (w, i) -> w.setBoolean(i, values[i]));
  }

  /** Integer values stored as any dtype (converted like a cast). */
  public static Tensor ofLongs(DType dtype, long[] shape, long... values) {
    return filled(dtype, shape, values.length, (w, i) -> w.setLong(i, values[i]));
  }

  /** Real values stored as any dtype (rounded like a cast). */
  public static Tensor ofDoubles(DType dtype, long[] shape, double... values) {
    return filled(dtype, shape, values.length, (w, i) -> w.setDouble(i, values[i]));
  }

  public static Tensor scalar(DType dtype, double value) {
    return ofDoubles(dtype, new long[0], value);
  }

  public static Tensor zeros(DType dtype, long... shape) {
    return TensorWriter.of(dtype, shape).build();
  }

  /**
   * A tensor of {@code length} values, element {@code i} written by {@code setElement(writer, i)}:
   * the one body of the {@code ofFloats}, {@code ofLongs}, ... factories, which differ only in
   * the array they read and the setter they call.
   */
  private static Tensor filled(
      DType dtype, long[] shape, int length, ObjIntConsumer<TensorWriter> setElement) {
    TensorWriter w = TensorWriter.of(dtype, shape);
    checkArgument(
        w.size() == length,
        "shape %s holds %s elements, got %s values",
        Arrays.toString(w.shape()),
        w.size(),
        length);
    for (int i = 0; i < length; i++) {
      setElement.accept(w, i);
    }
    return w.build();
  }

  static long elementCount(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  public DType dtype() {
    return dtype;
  }

  /** A copy of the shape. */
  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public long dim(int axis) {
    return shape[axis];
  }

  /** Number of elements. */
  public long size() {
    return size;
  }

  public TensorType type() {
    return new TensorType(dtype, Shape.of(shape));
  }

  /** The read-only little-endian storage. */
  public MemorySegment data() {
    return data;
  }

  /**
   * The Java array whose bytes are this tensor's storage, when it was made over a whole one
   * ({@code Tensor.wrap(F32, shape, MemorySegment.ofArray(floats))}, or an output of a compiled
   * model): what lets an engine read the elements in place instead of copying them. Like the
   * segment, the array must not be written; on a big-endian host its bytes are not the
   * little-endian storage, so engines use it there only for one-byte elements.
   */
  public java.util.Optional<Object> array() {
    return java.util.Optional.ofNullable(array);
  }

  /** The array a writable heap segment spans exactly, from its first element; else null. */
  private static Object wholeArray(MemorySegment data) {
    Object base = data.isReadOnly() ? null : data.heapBase().orElse(null);
    if (base == null || data.address() != 0) {
      return null;
    }
    long bytes = switch (base) {
      case float[] a -> 4L * a.length;
      case double[] a -> 8L * a.length;
      case int[] a -> 4L * a.length;
      case long[] a -> 8L * a.length;
      case short[] a -> 2L * a.length;
      case byte[] a -> a.length;
      default -> -1;
    };
    return bytes == data.byteSize() ? base : null;
  }

  public long byteSize() {
    return data.byteSize();
  }

  /** Element {@code i} (row-major) converted to double. */
  public double getDouble(long i) {
    long off = i * dtype.byteSize();
    return switch (dtype) {
      case F32 -> data.get(F32, off);
      case F64 -> data.get(F64, off);
      case F16 -> Float.float16ToFloat(data.get(I16, off));
      case BF16 -> Float.intBitsToFloat((data.get(I16, off) & 0xffff) << 16);
      // Integers and booleans read as getLong does; only u64 above 2^63 needs its own conversion.
      case I8, U8, I16, U16, I32, U32, I64, BOOL -> getLong(i);
      case U64 -> unsignedToDouble(data.get(I64, off));
    };
  }

  /**
   * Element {@code i} converted to long: integers exactly (u64 above 2^63 wraps), reals truncated
   * toward zero, booleans as 0/1.
   */
  public long getLong(long i) {
    long off = i * dtype.byteSize();
    return switch (dtype) {
      case I8 -> data.get(ValueLayout.JAVA_BYTE, off);
      case U8 -> data.get(ValueLayout.JAVA_BYTE, off) & 0xff;
      case I16 -> data.get(I16, off);
      case U16 -> data.get(I16, off) & 0xffff;
      case I32 -> data.get(I32, off);
      case U32 -> data.get(I32, off) & 0xffffffffL;
      case I64, U64 -> data.get(I64, off);
      case BOOL -> data.get(ValueLayout.JAVA_BYTE, off) != 0 ? 1 : 0;
      case F32, F64, F16, BF16 -> (long) getDouble(i);
    };
  }

  public boolean getBoolean(long i) {
    return dtype.isFloating() ? getDouble(i) != 0.0 : getLong(i) != 0;
  }

  /** All elements as doubles (for tests and small tensors). */
  public double[] toDoubleArray() {
    double[] out = new double[Math.toIntExact(size)];
    for (int i = 0; i < out.length; i++) {
      out[i] = getDouble(i);
    }
    return out;
  }

  public float[] toFloatArray() {
    float[] out = new float[Math.toIntExact(size)];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) getDouble(i);
    }
    return out;
  }

  public long[] toLongArray() {
    long[] out = new long[Math.toIntExact(size)];
    for (int i = 0; i < out.length; i++) {
      out[i] = getLong(i);
    }
    return out;
  }

  /** The same elements under another shape with the same element count. */
  public Tensor reshape(long... newShape) {
    checkArgument(
        elementCount(newShape) == size,
        "cannot reshape %s elements to %s",
        size,
        Arrays.toString(newShape));
    return new Tensor(dtype, newShape, data);
  }

  private static double unsignedToDouble(long v) {
    double d = (double) (v >>> 1) * 2.0;
    return d + (v & 1);
  }

  /** Equal dtype, shape and bytes (so NaNs with equal bits are equal). */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Tensor t)) {
      return false;
    }
    return dtype == t.dtype
        && Arrays.equals(shape, t.shape)
        && data.mismatch(t.data) == -1;
  }

  @Override
  public int hashCode() {
    int h = dtype.hashCode() * 31 + Arrays.hashCode(shape);
    long n = Math.min(data.byteSize(), 64);
    for (long i = 0; i < n; i++) {
      h = h * 31 + data.get(ValueLayout.JAVA_BYTE, i);
    }
    return h;
  }

  /** A short description such as {@code f32[2, 3] [1.0, 2.0, ... ]}, at most a few elements. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(dtype.text()).append(Shape.of(shape)).append(" [");
    long shown = Math.min(size, 8);
    for (long i = 0; i < shown; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(dtype.isFloating() ? Double.toString(getDouble(i)) : Long.toString(getLong(i)));
    }
    if (shown < size) {
      sb.append(", ...");
    }
    return sb.append(']').toString();
  }
}
