package dev.kiln.cli;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import java.util.SplittableRandom;

/** Seeded random inputs: the same seed gives the same tensors on every machine. */
final class RandomTensors {
  private final SplittableRandom random;

  RandomTensors(long seed) {
    this.random = new SplittableRandom(seed);
  }

  Tensor tensor(DType dtype, long[] shape) {
    TensorWriter w = TensorWriter.of(dtype, shape);
    for (long i = 0; i < w.size(); i++) {
      if (dtype.isFloating()) {
        w.setDouble(i, gaussian());
      } else if (dtype == DType.BOOL) {
        w.setBoolean(i, random.nextBoolean());
      } else {
        w.setLong(i, random.nextLong(10));
      }
    }
    return w.build();
  }

  // Box-Muller from the splittable generator, so results do not depend on java.util.Random.
  private double gaussian() {
    double u1 = 1.0 - random.nextDouble();
    double u2 = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
