package dev.kiln.ir.ops.layout;

import dev.kiln.ir.op.OpSchema;
import java.util.List;

/** The blocked-layout (NCHWc) operators. */
public final class LayoutOps {
  private LayoutOps() {}

  /** Every operator of this family, for the standard registry. */
  public static List<OpSchema> all() {
    return List.of(
        ReorderInput.INSTANCE,
        ReorderOutput.INSTANCE,
        NchwcConv.INSTANCE,
        NchwcPool.MAX,
        NchwcPool.AVERAGE,
        NchwcPool.GLOBAL_AVERAGE);
  }
}
