package dev.kiln.ir.loop;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kiln.ir.type.DType;

/** A scalar temporary (an accumulator, a hoisted value), declared by {@link Stmt.Let}. */
public record Local(String name, DType type) implements Expr {
  public Local {
    checkArgument(!name.isEmpty(), "a local needs a name");
  }

  @Override
  public String toString() {
    return "$" + name;
  }
}
