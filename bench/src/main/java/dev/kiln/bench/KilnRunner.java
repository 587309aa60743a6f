package dev.kiln.bench;

import dev.kiln.api.Model;
import dev.kiln.ir.tensor.Tensor;
import java.util.Map;

/** Kiln through its public Java API: {@code Model.run} on fixed inputs. */
final class KilnRunner implements EngineRunner {
  private final Model model;
  private final Map<String, Tensor> inputs;
  private final String name;

  KilnRunner(Model model, Map<String, Tensor> inputs) {
    this.model = model;
    this.inputs = Map.copyOf(inputs);
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
}
