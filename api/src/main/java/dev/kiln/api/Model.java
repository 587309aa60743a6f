package dev.kiln.api;

import com.google.common.collect.ImmutableList;
import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.interpreter.ReferenceInterpreter;
import dev.kiln.runtime.compiled.CompiledModel;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loaded model, ready to run. Immutable and thread-safe: many threads may call {@link #run} at
 * once.
 */
public final class Model {
  private final KilnModel source;
  private final ModelOptions options;
  private final ReferenceInterpreter interpreter;
  private final CompiledModel compiled;
  private final List<String> compileLog = new CopyOnWriteArrayList<>();

  Model(KilnModel source, ModelOptions options) {
    this.source = source;
    this.options = options;
    this.interpreter = new ReferenceInterpreter(source.graph(), OpRegistry.standard());
    this.compiled = options.engine() == ModelOptions.Engine.COMPILED
        ? CompiledEngine.create(source.graph(), options, r -> compileLog.add(describe(r)))
        : null;
  }

  /**
   * One entry per input-shape signature compiled so far (compiled engine): a line with the
   * shapes, lowering and compile times, where the classes came from, and the planned scratch
   * memory; then, when the code was generated in this process, one indented line per code
   * generator note (a loop that did not get the code its schedule asked for).
   */
  public List<String> compileLog() {
    return List.copyOf(compileLog);
  }

  private static String describe(CompiledEngine.Report r) {
    StringBuilder shapes = new StringBuilder();
    r.shapes().forEach((n, s) -> shapes.append(shapes.isEmpty() ? "" : ", ").append('%').append(n)
        .append(Arrays.toString(s)));
    return String.format(Locale.ROOT,
        "compiled for %s: %d kernels, lowering %.1f ms, code %.1f ms (%s), scratch arena %d bytes "
            + "for %d bytes of intermediates",
        shapes, r.program().kernels().size(), r.lowerNanos() / 1e6, r.compileNanos() / 1e6,
        r.result().unit().origin().name().toLowerCase(Locale.ROOT).replace('_', ' '),
        r.memory().plannedBytes(), r.memory().sumOfIntermediates())
        + (r.result().emittedOrNull() == null ? ""
            : r.result().emittedOrNull().notes().stream().map(n -> "\n  note: " + n)
                .collect(java.util.stream.Collectors.joining()));
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
    return compiled != null ? compiled.run(inputs) : interpreter.run(inputs);
  }
}
