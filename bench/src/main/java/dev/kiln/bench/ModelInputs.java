package dev.kiln.bench;

import dev.kiln.frontend.npy.Npy;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The inputs both engines run on: the model's stored input ({@code NAME.input.npy} beside
 * {@code NAME.onnx}, as the shared models have) when it has one input and that file exists, else
 * seeded random tensors (reals from N(0, 1), integers in [0, 10), fair booleans; symbolic
 * dimensions are 1), the same on every machine.
 *
 * @param source where the inputs came from, for the report
 */
record ModelInputs(Map<String, Tensor> tensors, String source) {

  static ModelInputs of(List<Value> inputs, Path modelFile, long seed) {
    Path stored = storedInput(modelFile);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    if (inputs.size() == 1 && Files.isRegularFile(stored)) {
      tensors.put(inputs.getFirst().name(), Npy.read(stored));
      return new ModelInputs(tensors, stored.getFileName().toString());
    }
    SplittableRandom random = new SplittableRandom(seed);
    for (Value v : inputs) {
      tensors.put(v.name(), random(v, random));
    }
    return new ModelInputs(tensors, "random, seed " + seed);
  }

  /** {@code DIR/NAME.input.npy} for {@code DIR/NAME.onnx} (or {@code .kiln}). */
  static Path storedInput(Path modelFile) {
    String name = modelFile.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return modelFile.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".input.npy");
  }

  private static Tensor random(Value v, SplittableRandom random) {
    long[] shape = v.type().shape().dims().stream()
        .mapToLong(d -> d instanceof Dim.Known k ? k.size() : 1).toArray();
    DType dtype = v.type().dtype();
    TensorWriter w = TensorWriter.of(dtype, shape);
    for (long i = 0; i < w.size(); i++) {
      if (dtype.isFloating()) {
        w.setDouble(i, gaussian(random));
      } else if (dtype == DType.BOOL) {
        w.setBoolean(i, random.nextBoolean());
      } else {
        w.setLong(i, random.nextLong(10));
      }
    }
    return w.build();
  }

  /** Box-Muller, so that the values do not depend on java.util.Random's algorithm. */
  static double gaussian(SplittableRandom random) {
    double u1 = 1.0 - random.nextDouble();
    double u2 = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
