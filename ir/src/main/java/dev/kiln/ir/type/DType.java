package dev.kiln.ir.type;

import java.util.Optional;

/**
 * Element types of Kiln tensors.
 *
 * <p>The ONNX {@code TensorProto.DataType} code of each type is kept here so that importers and
 * exporters map 1:1. New storage types (int4, fp8, entropy-coded blocks) are added as new
 * constants; code that switches over {@code DType} then fails to compile until it handles them.
 */
public enum DType {
  F32("f32", 4, 1),
  F64("f64", 8, 11),
  F16("f16", 2, 10),
  BF16("bf16", 2, 16),
  I8("i8", 1, 3),
  U8("u8", 1, 2),
  I16("i16", 2, 5),
  U16("u16", 2, 4),
  I32("i32", 4, 6),
  U32("u32", 4, 12),
  I64("i64", 8, 7),
  U64("u64", 8, 13),
  BOOL("bool", 1, 9);

  private final String text;
  private final int byteSize;
  private final int onnxCode;

  DType(String text, int byteSize, int onnxCode) {
    this.text = text;
    this.byteSize = byteSize;
    this.onnxCode = onnxCode;
  }

  /** The name used in the Kiln language and in printed IR, e.g. {@code f32}. */
  public String text() {
    return text;
  }

  /** Bytes per element in the canonical little-endian storage. */
  public int byteSize() {
    return byteSize;
  }

  /** The ONNX {@code TensorProto.DataType} code. */
  public int onnxCode() {
    return onnxCode;
  }

  public boolean isFloating() {
    return this == F32 || this == F64 || this == F16 || this == BF16;
  }

  public boolean isInteger() {
    return !isFloating() && this != BOOL;
  }

  public boolean isSigned() {
    return isFloating() || this == I8 || this == I16 || this == I32 || this == I64;
  }

  /** The smallest value of this integer type, as its long bits. */
  public long minValue() {
    return switch (this) {
      case I8 -> Byte.MIN_VALUE;
      case I16 -> Short.MIN_VALUE;
      case I32 -> Integer.MIN_VALUE;
      case I64 -> Long.MIN_VALUE;
      case U8, U16, U32, U64 -> 0;
      default -> throw new IllegalStateException("not an integer type: " + this);
    };
  }

  /** The largest value of this integer type, as its long bits (u64's is all ones). */
  public long maxValue() {
    return switch (this) {
      case I8 -> Byte.MAX_VALUE;
      case U8 -> 0xffL;
      case I16 -> Short.MAX_VALUE;
      case U16 -> 0xffffL;
      case I32 -> Integer.MAX_VALUE;
      case U32 -> 0xffff_ffffL;
      case I64 -> Long.MAX_VALUE;
      case U64 -> -1L;
      default -> throw new IllegalStateException("not an integer type: " + this);
    };
  }

  /** Looks a type up by its Kiln name ({@code f32}, {@code i64}, ...). */
  public static Optional<DType> fromText(String text) {
    for (DType t : values()) {
      if (t.text.equals(text)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  /** Looks a type up by its ONNX data type code. */
  public static Optional<DType> fromOnnxCode(int code) {
    for (DType t : values()) {
      if (t.onnxCode == code) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return text;
  }
}
