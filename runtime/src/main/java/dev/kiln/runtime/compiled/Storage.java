package dev.kiln.runtime.compiled;

import dev.kiln.ir.type.DType;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The Java array type that holds a dtype's elements in compiled code. Each has the same bytes
 * per element as the dtype's little-endian tensor storage, so tensors copy in and out without
 * conversion: f16 and bf16 live as their raw 16 bits in {@code short[]}, unsigned integers as
 * the signed Java type of their width, bool as a {@code byte} 0 or 1.
 */
public enum Storage {
  FLOAT(float[].class, ValueLayout.JAVA_FLOAT_UNALIGNED),
  DOUBLE(double[].class, ValueLayout.JAVA_DOUBLE_UNALIGNED),
  SHORT(short[].class, ValueLayout.JAVA_SHORT_UNALIGNED),
  BYTE(byte[].class, ValueLayout.JAVA_BYTE),
  INT(int[].class, ValueLayout.JAVA_INT_UNALIGNED),
  LONG(long[].class, ValueLayout.JAVA_LONG_UNALIGNED);

  private final Class<?> arrayClass;
  private final ValueLayout littleEndian;

  Storage(Class<?> arrayClass, ValueLayout layout) {
    this.arrayClass = arrayClass;
    this.littleEndian = layout.withOrder(ByteOrder.LITTLE_ENDIAN);
  }

  public static Storage of(DType dtype) {
    return switch (dtype) {
      case F32 -> FLOAT;
      case F64 -> DOUBLE;
      case F16, BF16, I16, U16 -> SHORT;
      case I8, U8, BOOL -> BYTE;
      case I32, U32 -> INT;
      case I64, U64 -> LONG;
    };
  }

  /** {@code float[].class} and so on. */
  public Class<?> arrayClass() {
    return arrayClass;
  }

  /** The element layout of tensor storage (little-endian). */
  public ValueLayout tensorLayout() {
    return littleEndian;
  }

  public int elementBytes() {
    return (int) littleEndian.byteSize();
  }

  /** A zeroed array of {@code length} elements. */
  public Object allocate(int length) {
    return switch (this) {
      case FLOAT -> new float[length];
      case DOUBLE -> new double[length];
      case SHORT -> new short[length];
      case BYTE -> new byte[length];
      case INT -> new int[length];
      case LONG -> new long[length];
    };
  }
}
