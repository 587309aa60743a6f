package dev.kiln.ir.ops.reduce;

import dev.kiln.ir.op.OpSchema;
import java.util.List;

/** The reductions over axes. */
public final class ReduceOps {
  private ReduceOps() {}

  /** Every operator of this family, for the standard registry. */
  public static List<OpSchema> all() {
    return List.of();
  }
}
