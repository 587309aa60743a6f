package dev.kiln.ir.ops.elementwise;

import dev.kiln.ir.op.OpSchema;
import java.util.List;

/** The unary and binary elementwise operators with NumPy broadcasting, Cast, Where, Identity, Dropout. */
public final class ElementwiseOps {
  private ElementwiseOps() {}

  /** Every operator of this family, for the standard registry. */
  public static List<OpSchema> all() {
    return List.of();
  }
}
