package dev.kiln.tests;

import dev.kiln.frontend.safetensors.SafeTensorsFile;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Makes the weights of the bundled examples from fixed seeds, so that they are reproducible and
 * reviewable: {@code ExamplesTest} checks that the committed files equal what this makes.
 *
 * <p>Regenerate after changing it: {@code bin/test -pl tests -Dkiln.regenerateExamples=true}.
 */
public final class ExampleWeights {
  private ExampleWeights() {}

  /** The weight sets by example directory name. */
  static Map<String, Map<String, Tensor>> all() {
    Map<String, Map<String, Tensor>> all = new LinkedHashMap<>();
    all.put("mlp", mlp());
    all.put("cnn", cnn());
    return all;
  }

  static void writeAll(Path examplesDir) throws IOException {
    for (Map.Entry<String, Map<String, Tensor>> e : all().entrySet()) {
      SafeTensorsFile.write(examplesDir.resolve(e.getKey()).resolve(e.getKey() + ".safetensors"), e.getValue());
    }
  }

  /** PyTorch's default Linear/Conv initialisation: uniform in +-1/sqrt(fan_in). */
  static Map<String, Tensor> mlp() {
    SplittableRandom rng = new SplittableRandom(20261201L);
    Map<String, Tensor> w = new LinkedHashMap<>();
    linear(w, rng, "fc1", 784, 128);
    linear(w, rng, "fc2", 128, 64);
    linear(w, rng, "fc3", 64, 10);
    return w;
  }

  static Map<String, Tensor> cnn() {
    SplittableRandom rng = new SplittableRandom(20261202L);
    Map<String, Tensor> w = new LinkedHashMap<>();
    conv(w, rng, "conv1", 3, 16);
    batchNorm(w, rng, "bn1", 16);
    conv(w, rng, "conv2", 16, 32);
    batchNorm(w, rng, "bn2", 32);
    linear(w, rng, "fc", 32, 10);
    return w;
  }

  private static void linear(Map<String, Tensor> w, SplittableRandom rng, String name, int in, int out) {
    double bound = 1 / Math.sqrt(in);
    w.put(name + ".weight", uniform(rng, bound, -bound, out, in));
    w.put(name + ".bias", uniform(rng, bound, -bound, out));
  }

  private static void conv(Map<String, Tensor> w, SplittableRandom rng, String name, int in, int out) {
    double bound = 1 / Math.sqrt(in * 9);
    w.put(name + ".weight", uniform(rng, bound, -bound, out, in, 3, 3));
    w.put(name + ".bias", uniform(rng, bound, -bound, out));
  }

  private static void batchNorm(Map<String, Tensor> w, SplittableRandom rng, String name, int channels) {
    w.put(name + ".scale", uniform(rng, 1.5, 0.5, channels));
    w.put(name + ".shift", uniform(rng, 0.1, -0.1, channels));
    w.put(name + ".mean", uniform(rng, 0.2, -0.2, channels));
    w.put(name + ".var", uniform(rng, 1.5, 0.5, channels));
  }

  private static Tensor uniform(SplittableRandom rng, double hi, double lo, long... shape) {
    TensorWriter t = TensorWriter.of(DType.F32, shape);
    for (long i = 0; i < t.size(); i++) {
      t.setDouble(i, lo + (hi - lo) * rng.nextDouble());
    }
    return t.build();
  }
}
