package dev.kiln.ir.ops.reduce;

import dev.kiln.ir.op.OpSchema;
import java.util.ArrayList;
import java.util.List;

/**
 * The reductions over axes (ReduceSum, ReduceMax, ...), the index reductions ArgMax, ArgMin, and
 * the running sum CumSum.
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
    return List.copyOf(all);
  }
}
