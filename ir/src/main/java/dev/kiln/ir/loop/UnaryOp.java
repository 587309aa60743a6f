package dev.kiln.ir.loop;

/** Unary operators of loop-IR expressions. */
public enum UnaryOp {
  NEG("-"),
  /** Logical not of a bool, bitwise not of an integer. */
  NOT("!");

  private final String symbol;

  UnaryOp(String symbol) {
    this.symbol = symbol;
  }

  public String symbol() {
    return symbol;
  }
}
