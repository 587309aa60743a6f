package dev.kiln.api;

import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.RandomTensors;
import dev.kiln.ir.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Inputs for a warm-up when the caller has none: reals from N(0, 1) (both signs, so that the
 * branches a kernel takes on real data, a ReLU's or a max's, are the ones the JIT sees; zeros would
 * let it compile one side only and deoptimize on the first real input), integers 0 (a valid index
 * of any non-empty axis), booleans fair; a fixed seed. Symbolic dims are 1.
 */
final class SyntheticInputs {
  private SyntheticInputs() {}

  static Map<String, Tensor> of(List<Value> inputs) {
    RandomTensors random = new RandomTensors(0, 1);
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Value v : inputs) {
      out.put(v.name(), random.tensor(v.type()));
    }
    return out;
  }
}
