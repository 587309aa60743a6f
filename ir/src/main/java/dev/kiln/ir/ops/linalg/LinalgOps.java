package dev.kiln.ir.ops.linalg;

import dev.kiln.ir.op.OpSchema;
import java.util.List;

/** Matrix products: MatMul and Gemm, and their fused forms (FusedMatMul, FusedGemm). */
public final class LinalgOps {
  private LinalgOps() {}

  /** Every operator of this family, for the standard registry. */
  public static List<OpSchema> all() {
    return List.of(MatMul.INSTANCE, Gemm.INSTANCE, FusedMatMul.INSTANCE, FusedGemm.INSTANCE);
  }
}
