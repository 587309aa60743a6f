package dev.kiln.api;

import com.google.common.collect.ImmutableList;
import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.interpreter.ReferenceInterpreter;
import java.util.Map;

/**
 * A loaded model, ready to run. Immutable and thread-safe: many threads may call {@link #run} at
 * once.
 */
public final class Model {
  private final KilnModel source;
  private final ModelOptions options;
  private final ReferenceInterpreter interpreter;

  Model(KilnModel source, ModelOptions options) {
    this.source = source;
    this.options = options;
    this.interpreter = new ReferenceInterpreter(source.graph(), OpRegistry.standard());
  }

  /** The verified graph. */
  public Graph graph() {
    return source.graph();
  }

  /** The model as it was read, with its weights file reference. */
  public KilnModel source() {
    return source;
  }

  public ModelOptions options() {
    return options;
  }

  /** The named inputs with their types (symbolic dims such as {@code N} bind at run time). */
  public ImmutableList<Value> inputs() {
    return graph().inputs();
  }

  public ImmutableList<Value> outputs() {
    return graph().outputs();
  }

  /**
   * Runs the model on named inputs and returns the outputs by name, in the model's output order.
   *
   * @throws dev.kiln.runtime.interpreter.RunException when an input is missing, unknown, or of the
   *     wrong type or shape, or an operator rejects its run-time values
   */
  public Map<String, Tensor> run(Map<String, Tensor> inputs) {
    return interpreter.run(inputs);
  }
}
