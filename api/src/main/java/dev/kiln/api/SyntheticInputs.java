package dev.kiln.api;

import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.DType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Inputs for a warm-up when the caller has none: reals from N(0, 1) (both signs, so that the
 * branches a kernel takes on real data, a ReLU's or a max's, are the ones the JIT sees; zeros would
 * let it compile one side only and deoptimize on the first real input), integers 0 (a valid index
 * of any non-empty axis), booleans fair; a fixed seed. Symbolic dims are 1.
 */
final class SyntheticInputs {
  private SyntheticInputs() {}

  static Map<String, Tensor> of(List<Value> inputs) {
    SplittableRandom random = new SplittableRandom(0);
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Value v : inputs) {
      long[] shape = v.type().shape().dims().stream()
          .mapToLong(d -> d instanceof Dim.Known k ? k.size() : 1).toArray();
      DType dtype = v.type().dtype();
      TensorWriter w = TensorWriter.of(dtype, shape);
      for (long i = 0; i < w.size(); i++) {
        if (dtype.isFloating()) {
          double u1 = 1.0 - random.nextDouble();
          double u2 = random.nextDouble();
          w.setDouble(i, Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        } else if (dtype == DType.BOOL) {
          w.setBoolean(i, random.nextBoolean());
        } else {
          w.setLong(i, 0);
        }
      }
      out.put(v.name(), w.build());
    }
    return out;
  }
}
