package dev.kiln.bench;

import dev.kiln.api.Model;
import dev.kiln.ir.tensor.Tensor;
import java.util.Map;

/**
 * Kiln through its public Java API: {@code Model.run} on fixed inputs, each held as a Java
 * service holds its data, in a Java array of its element type (a {@code float[]} for f32), which
 * the compiled engine reads in place; ONNX Runtime's runner likewise makes its input tensors
 * once and reads them in place every run. (A tensor over native memory is copied each run:
 * MobileNetV2's 600 KB input, 40 to 54 us.)
 */
final class KilnRunner implements EngineRunner {
  private final Model model;
  private final Map<String, Tensor> inputs;
  private final String name;

  KilnRunner(Model model, Map<String, Tensor> inputs) {
    this.model = model;
    this.inputs = inArrays(inputs);
    this.name = "kiln " + model.options().engine().name().toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Map<String, Tensor> outputs() {
    return model.run(inputs);
  }

  @Override
  public void runOnce() {
    model.run(inputs);
  }

  @Override
  public void close() {}

  /**
   * Each input's elements in a Java array ({@link #inArray}), in order: what the bench runs Kiln
   * on, and so what the tools that time Kiln alone ({@code GemmPlacement}) run it on too.
   */
  static Map<String, Tensor> inArrays(Map<String, Tensor> inputs) {
    Map<String, Tensor> arrays = new java.util.LinkedHashMap<>();
    inputs.forEach((n, t) -> arrays.put(n, inArray(t)));
    return java.util.Collections.unmodifiableMap(arrays);
  }

  /** {@code t}'s elements in a Java array of its storage type, wrapped as a tensor again. */
  static Tensor inArray(Tensor t) {
    if (java.nio.ByteOrder.nativeOrder() != java.nio.ByteOrder.LITTLE_ENDIAN) {
      return t; // a Java array's bytes are not little-endian storage there
    }
    return dev.kiln.runtime.compiled.ExecutableProgram.adopt(t.dtype(), t.shape(),
        dev.kiln.runtime.compiled.ExecutableProgram.toArray(t));
  }
}
