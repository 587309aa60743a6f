package dev.kiln.bench;

import dev.kiln.frontend.npy.Npy;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.RandomTensors;
import dev.kiln.ir.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The inputs both engines run on: the model's stored input ({@code NAME.input.npy} beside
 * {@code NAME.onnx}, as the shared models have) when it has one input and that file exists, else
 * seeded random tensors ({@link RandomTensors}: reals from N(0, 1), integers in [0, 10), fair
 * booleans; symbolic dimensions are 1), the same on every machine and as {@code kiln run
 * --random-input --seed} makes.
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
    RandomTensors random = new RandomTensors(seed, 10);
    for (Value v : inputs) {
      tensors.put(v.name(), random.tensor(v.type()));
    }
    return new ModelInputs(tensors, "random, seed " + seed);
  }

  /** {@code DIR/NAME.input.npy} for {@code DIR/NAME.onnx} (or {@code .kiln}). */
  static Path storedInput(Path modelFile) {
    String name = modelFile.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return modelFile.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".input.npy");
  }
}
