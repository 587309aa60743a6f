package dev.kiln.ir.loop;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kiln.ir.type.DType;

/**
 * A loop index variable. Its type is {@link DType#I32}: buffers hold fewer than 2^31 elements.
 * Names are unique within a kernel (the verifier checks); schedules derive new names such as
 * {@code i.outer} and {@code i.inner}.
 */
public record Var(String name) implements Expr {
  public Var {
    checkArgument(!name.isEmpty(), "a loop variable needs a name");
  }

  @Override
  public DType type() {
    return DType.I32;
  }

  @Override
  public String toString() {
    return name;
  }
}
