package dev.kiln.ir.ops.nn;

import dev.kiln.ir.op.OpSchema;
import java.util.List;

/** The convolution, pooling, softmax (and hardmax) and normalization operators. */
public final class NnOps {
  private NnOps() {}

  /** Every operator of this family, for the standard registry. */
  public static List<OpSchema> all() {
    return List.of(
        Conv.INSTANCE,
        FusedConv.INSTANCE,
        MaxPool.INSTANCE,
        AveragePool.INSTANCE,
        GlobalPool.AVERAGE,
        GlobalPool.MAX,
        BatchNormalization.INSTANCE,
        InstanceNormalization.INSTANCE,
        LayerNormalization.INSTANCE,
        MeanVarianceNormalization.INSTANCE,
        Lrn.INSTANCE,
        Softmax.SOFTMAX,
        Softmax.LOG_SOFTMAX,
        Hardmax.INSTANCE);
  }
}
