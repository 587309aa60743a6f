package dev.kiln.codegen.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.TypeName;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.compiled.Narrow;

/**
 * How each dtype is represented in generated code, matching the loop-IR interpreter: reals of
 * f32, f16 and bf16 compute in {@code float} (narrow types round only on casts and stores), f64
 * in {@code double}; integers up to 32 signed bits and u8/u16 as their exact value in an
 * {@code int}; u32 as its exact value in a {@code long}; i64 and u64 as a {@code long}'s bits;
 * bool as {@code boolean}.
 */
final class JavaTypes {
  static final ClassName NARROW = ClassName.get(Narrow.class);

  private JavaTypes() {}

  static TypeName computeType(DType t) {
    return switch (t) {
      case F32, F16, BF16 -> TypeName.FLOAT;
      case F64 -> TypeName.DOUBLE;
      case I8, U8, I16, U16, I32 -> TypeName.INT;
      case U32, I64, U64 -> TypeName.LONG;
      case BOOL -> TypeName.BOOLEAN;
    };
  }

  /** Whether Java arithmetic on the compute type already wraps like {@code t}. */
  static boolean wrapsNaturally(DType t) {
    return t == DType.I32 || t == DType.I64 || t == DType.U64;
  }

  /** An integer value (of any integer compute type) wrapped to {@code t}'s width. */
  static CodeBlock wrap(DType t, CodeBlock x) {
    return switch (t) {
      case I8 -> CodeBlock.of("((byte) ($L))", x);
      case U8 -> CodeBlock.of("(((int) ($L)) & 0xff)", x);
      case I16 -> CodeBlock.of("((short) ($L))", x);
      case U16 -> CodeBlock.of("(((int) ($L)) & 0xffff)", x);
      case I32 -> CodeBlock.of("((int) ($L))", x);
      case U32 -> CodeBlock.of("(((long) ($L)) & 0xffffffffL)", x);
      case I64, U64 -> CodeBlock.of("((long) ($L))", x);
      default -> throw new IllegalArgumentException("not an integer type: " + t);
    };
  }

  /** The compute value of an array element {@code element} of a {@code t} buffer. */
  static CodeBlock fromStorage(DType t, CodeBlock element) {
    return switch (t) {
      case F32, F64, I8, I16, I32, I64, U64 -> element;
      case F16 -> CodeBlock.of("$T.f16ToFloat($L)", NARROW, element);
      case BF16 -> CodeBlock.of("$T.bf16ToFloat($L)", NARROW, element);
      case U8 -> CodeBlock.of("($L & 0xff)", element);
      case U16 -> CodeBlock.of("($L & 0xffff)", element);
      case U32 -> CodeBlock.of("$T.toUnsignedLong($L)", Integer.class, element);
      case BOOL -> CodeBlock.of("($L != 0)", element);
    };
  }

  /** The array element that stores compute value {@code v} of type {@code t} (rounding narrow reals). */
  static CodeBlock toStorage(DType t, CodeBlock v) {
    return switch (t) {
      case F32, F64, I32, I64, U64 -> v;
      case F16 -> CodeBlock.of("$T.floatToF16($L)", NARROW, v);
      case BF16 -> CodeBlock.of("$T.floatToBf16($L)", NARROW, v);
      case I8, U8 -> CodeBlock.of("(byte) ($L)", v);
      case I16, U16 -> CodeBlock.of("(short) ($L)", v);
      case U32 -> CodeBlock.of("(int) ($L)", v);
      case BOOL -> CodeBlock.of("(byte) ($L ? 1 : 0)", v);
    };
  }

  /** A real compute value rounded to storage type {@code t} and back (stores and casts). */
  static CodeBlock roundReal(DType t, CodeBlock v, DType from) {
    return switch (t) {
      case F64 -> CodeBlock.of("((double) $L)", v);
      case F32 -> CodeBlock.of("((float) $L)", v);
      case F16 -> CodeBlock.of("$T.roundF16((float) $L)", NARROW, v);
      case BF16 -> CodeBlock.of("$T.roundBf16((float) $L)", NARROW, v);
      default -> throw new IllegalArgumentException("not a real type: " + t);
    };
  }

  static CodeBlock intLiteral(DType t, long value) {
    return switch (t) {
      case BOOL -> CodeBlock.of(value != 0 ? "true" : "false");
      case I8 -> CodeBlock.of("($L)", (byte) value);
      case U8 -> CodeBlock.of("($L)", value & 0xff);
      case I16 -> CodeBlock.of("($L)", (short) value);
      case U16 -> CodeBlock.of("($L)", value & 0xffff);
      case I32 -> CodeBlock.of("($L)", (int) value);
      case U32 -> CodeBlock.of("($LL)", value & 0xffffffffL);
      case I64, U64 -> CodeBlock.of("($LL)", value);
      default -> throw new IllegalArgumentException("not an integer type: " + t);
    };
  }

  /** A real literal of compute type: f32, f16 and bf16 constants are f32 values (as the interpreter). */
  static CodeBlock realLiteral(DType t, double value) {
    if (t == DType.F64) {
      if (Double.isNaN(value)) {
        return CodeBlock.of("$T.NaN", Double.class);
      }
      if (Double.isInfinite(value)) {
        return CodeBlock.of(value > 0 ? "$T.POSITIVE_INFINITY" : "$T.NEGATIVE_INFINITY", Double.class);
      }
      return CodeBlock.of("($Ld)", Double.toString(value));
    }
    float f = (float) value;
    if (Float.isNaN(f)) {
      return CodeBlock.of("$T.NaN", Float.class);
    }
    if (Float.isInfinite(f)) {
      return CodeBlock.of(f > 0 ? "$T.POSITIVE_INFINITY" : "$T.NEGATIVE_INFINITY", Float.class);
    }
    return CodeBlock.of("($Lf)", Float.toString(f));
  }
}
