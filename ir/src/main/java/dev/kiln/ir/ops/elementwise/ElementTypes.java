package dev.kiln.ir.ops.elementwise;

import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;

/**
 * The element types an operator input accepts, as the ONNX spec groups them. Each set knows how
 * to say what it is, so every rejection reads the same: {@code input 0 must be a floating-point
 * tensor, got i32[2, 3]}.
 */
enum ElementTypes {
  FLOATING("a floating-point tensor"),
  /** Floating point and signed integers: the types where negation is meaningful. */
  SIGNED("a signed numeric tensor (floating-point or signed integer)"),
  /** Every type but bool. */
  NUMERIC("a numeric tensor"),
  UNSIGNED("an unsigned integer tensor"),
  BOOL("a bool tensor"),
  ANY("a tensor");

  private final String description;

  ElementTypes(String description) {
    this.description = description;
  }

  boolean contains(DType dtype) {
    return switch (this) {
      case FLOATING -> dtype.isFloating();
      case SIGNED -> dtype.isSigned();
      case NUMERIC -> dtype != DType.BOOL;
      case UNSIGNED -> dtype.isInteger() && !dtype.isSigned();
      case BOOL -> dtype == DType.BOOL;
      case ANY -> true;
    };
  }

  /** The type of input {@code i}, which must be present and of one of these element types. */
  TensorType require(InferenceContext ctx, int i) {
    if (!ctx.hasInput(i)) {
      throw OpException.of("input %d is required but absent", i);
    }
    TensorType t = ctx.type(i);
    if (!contains(t.dtype())) {
      throw OpException.of("input %d must be %s, got %s", i, description, t);
    }
    return t;
  }
}
