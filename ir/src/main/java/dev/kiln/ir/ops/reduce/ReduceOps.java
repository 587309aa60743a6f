package dev.kiln.ir.ops.reduce;

import dev.kiln.ir.op.OpSchema;
import java.util.ArrayList;
import java.util.List;

/**
 * The reductions over axes (ReduceSum, ReduceMax, ...), the index reductions ArgMax, ArgMin, the
 * running sum CumSum and the selection TopK.
 */
public final class ReduceOps {
  private ReduceOps() {}

  /** Every operator of this family, for the standard registry. */
  public static List<OpSchema> all() {
    List<OpSchema> all = new ArrayList<>();
    for (Reducer r : Reducer.values()) {
      all.add(new Reduce(r));
    }
    all.add(new ArgReduce("ArgMax", true));
    all.add(new ArgReduce("ArgMin", false));
    all.add(CumSum.INSTANCE);
    all.add(TopK.INSTANCE);
    return List.copyOf(all);
  }
}
