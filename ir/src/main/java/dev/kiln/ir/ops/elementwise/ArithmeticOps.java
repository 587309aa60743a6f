package dev.kiln.ir.ops.elementwise;

import static dev.kiln.ir.ops.elementwise.BroadcastElementwise.binary;
import static dev.kiln.ir.ops.elementwise.BroadcastElementwise.variadic;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.ops.elementwise.BroadcastElementwise.Kernel;
import dev.kiln.ir.ops.elementwise.BroadcastElementwise.Result;
import dev.kiln.ir.type.DType;
import java.util.List;

/**
 * Broadcasting arithmetic: Add, Sub, Mul, Div, Mod, BitShift and the variadic Max, Min, Sum,
 * Mean.
 * Integer arithmetic wraps to the element type (as in C and ONNX Runtime); integer division
 * truncates toward zero, and dividing an integer by zero is an error that names the element.
 * Unsigned types divide and compare as unsigned (which matters for u64 above 2^63).
 */
final class ArithmeticOps {
  private ArithmeticOps() {}

  static List<OpSchema> all() {
    return List.of(
        binary("Add", ElementTypes.NUMERIC, (a, t) -> Kernel.of((x, y) -> x + y, (x, y) -> x + y)),
        binary("Sub", ElementTypes.NUMERIC, (a, t) -> Kernel.of((x, y) -> x - y, (x, y) -> x - y)),
        binary("Mul", ElementTypes.NUMERIC, (a, t) -> Kernel.of((x, y) -> x * y, (x, y) -> x * y)),
        binary("Div", ElementTypes.NUMERIC, (a, t) -> Kernel.of((x, y) -> x / y,
            t.isSigned()
                ? (x, y) -> x / checkDivisor(y)
                : (x, y) -> Long.divideUnsigned(x, checkDivisor(y)))),
        binary(
            "Mod",
            ElementTypes.NUMERIC,
            List.of(AttrSpec.optional("fmod", Attribute.of(0L))),
            ArithmeticOps::mod),
        binary(
            "BitShift",
            ElementTypes.UNSIGNED,
            List.of(AttrSpec.required("direction", AttributeKind.STRING)),
            ArithmeticOps::bitShift),
        variadic("Max", ElementTypes.NUMERIC, Result.FOLD, (a, t) -> Kernel.of(Math::max,
            t.isSigned() ? Math::max : (x, y) -> Long.compareUnsigned(x, y) >= 0 ? x : y)),
        variadic("Min", ElementTypes.NUMERIC, Result.FOLD, (a, t) -> Kernel.of(Math::min,
            t.isSigned() ? Math::min : (x, y) -> Long.compareUnsigned(x, y) <= 0 ? x : y)),
        variadic("Sum", ElementTypes.FLOATING, Result.FOLD,
            (a, t) -> Kernel.real((x, y) -> x + y)),
        variadic("Mean", ElementTypes.FLOATING, Result.MEAN,
            (a, t) -> Kernel.real((x, y) -> x + y)));
  }

  /**
   * ONNX BitShift on unsigned integers. Bits shifted past the element's width are lost (the
   * store keeps the low bits); shifting by the width or more gives 0, where C would be undefined.
   */
  private static Kernel bitShift(AttrReader attrs, DType dtype) {
    String direction = attrs.attrs().getString("direction", "");
    return switch (direction) {
      case "LEFT" -> Kernel.integer((x, y) -> Long.compareUnsigned(y, 64) >= 0 ? 0 : x << y);
      case "RIGHT" -> Kernel.integer((x, y) -> Long.compareUnsigned(y, 64) >= 0 ? 0 : x >>> y);
      default ->
          throw OpException.of(
              "attribute 'direction' must be \"LEFT\" or \"RIGHT\", got \"%s\"", direction);
    };
  }

  private static long checkDivisor(long y) {
    if (y == 0) {
      throw new ArithmeticException("integer division by zero");
    }
    return y;
  }

  /**
   * ONNX Mod: with {@code fmod = 0} (integers only) the remainder has the divisor's sign, like
   * Python's {@code %}; with {@code fmod = 1} it has the dividend's sign, like C's {@code fmod}.
   */
  private static Kernel mod(AttrReader attrs, DType dtype) {
    long fmod = attrs.getInt("fmod");
    if (fmod != 0 && fmod != 1) {
      throw OpException.of("attribute 'fmod' must be 0 or 1, got %d", fmod);
    }
    if (dtype.isFloating() && fmod == 0) {
      throw OpException.of(
          "attribute 'fmod' must be 1 for floating-point inputs (got 0 with %s)", dtype);
    }
    if (!dtype.isSigned()) {
      return Kernel.of((x, y) -> x % y, (x, y) -> Long.remainderUnsigned(x, checkDivisor(y)));
    }
    return fmod == 1
        ? Kernel.of((x, y) -> x % y, (x, y) -> x % checkDivisor(y))
        : Kernel.of((x, y) -> x % y, (x, y) -> Math.floorMod(x, checkDivisor(y)));
  }
}
