package dev.kiln.ir.loop;

/** Binary operators of loop-IR expressions; Java semantics unless said otherwise. */
public enum BinaryOp {
  ADD("+", false),
  SUB("-", false),
  MUL("*", false),
  /** Integers truncate toward zero (like ONNX Runtime); reals are IEEE division. */
  DIV("/", false),
  /** Remainder with the sign of the dividend (Java's %, C's fmod). */
  REM("%", false),
  /** Integer division rounding toward negative infinity (index arithmetic). */
  FLOOR_DIV("floordiv", false),
  /** Integer modulo with the sign of the divisor (index arithmetic). */
  FLOOR_MOD("floormod", false),
  MIN("min", false),
  MAX("max", false),
  LT("<", true),
  LE("<=", true),
  GT(">", true),
  GE(">=", true),
  EQ("==", true),
  NE("!=", true),
  /** Logical for bools, bitwise for integers. */
  AND("&&", false),
  OR("||", false),
  XOR("^", false);

  private final String symbol;
  private final boolean comparison;

  BinaryOp(String symbol, boolean comparison) {
    this.symbol = symbol;
    this.comparison = comparison;
  }

  public String symbol() {
    return symbol;
  }

  /** Comparisons give {@code bool}; everything else gives its operands' type. */
  public boolean isComparison() {
    return comparison;
  }

  /** Printed as a function call {@code min(a, b)} rather than infix. */
  public boolean isFunctionLike() {
    return Character.isLetter(symbol.charAt(0));
  }
}
