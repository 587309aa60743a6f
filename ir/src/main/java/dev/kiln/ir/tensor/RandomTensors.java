package dev.kiln.ir.tensor;

import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.SplittableRandom;

/**
 * Seeded random tensors, the same on every machine and JDK for the same seed: reals from N(0, 1)
 * by Box-Muller over a {@link SplittableRandom} (not {@code java.util.Random}, whose Gaussian is
 * not specified bit for bit), integers uniform in {@code [0, integerBound)}, fair booleans.
 *
 * <p>One generator for the CLI's {@code --random-input}, the benchmark's inputs and the API's
 * warm-up inputs, so that a model run at the command line and in {@code kiln bench} with one
 * seed sees the same numbers.
 */
public final class RandomTensors {
  private final SplittableRandom random;
  private final long integerBound;

  /**
   * @param integerBound integers are drawn from {@code [0, integerBound)}: 1 gives all zeros (a
   *     valid index of any non-empty axis)
   */
  public RandomTensors(long seed, long integerBound) {
    if (integerBound < 1) {
      throw new IllegalArgumentException("integerBound must be at least 1, got " + integerBound);
    }
    this.random = new SplittableRandom(seed);
    this.integerBound = integerBound;
  }

  /** The next tensor of {@code type}, symbolic dimensions taken as 1. */
  public Tensor tensor(TensorType type) {
    long[] shape = type.shape().dims().stream()
        .mapToLong(d -> d instanceof Dim.Known k ? k.size() : 1).toArray();
    return tensor(type.dtype(), shape);
  }

  /** The next tensor of this dtype and shape. */
  public Tensor tensor(DType dtype, long[] shape) {
    TensorWriter w = TensorWriter.of(dtype, shape);
    for (long i = 0; i < w.size(); i++) {
      if (dtype.isFloating()) {
        w.setDouble(i, gaussian());
      } else if (dtype == DType.BOOL) {
        w.setBoolean(i, random.nextBoolean());
      } else {
        w.setLong(i, integerBound == 1 ? 0 : random.nextLong(integerBound));
      }
    }
    return w.build();
  }

  /** The next sample of N(0, 1). */
  public double gaussian() {
    double u1 = 1.0 - random.nextDouble();
    double u2 = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
