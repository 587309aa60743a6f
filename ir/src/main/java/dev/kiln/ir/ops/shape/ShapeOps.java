package dev.kiln.ir.ops.shape;

import dev.kiln.ir.op.OpSchema;
import java.util.List;

/** The operators that move, reshape, slice and build tensors. */
public final class ShapeOps {
  private ShapeOps() {}

  /** Every operator of this family, for the standard registry. */
  public static List<OpSchema> all() {
    return List.of();
  }
}
