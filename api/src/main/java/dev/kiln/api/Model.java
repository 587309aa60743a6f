package dev.kiln.api;

import com.google.common.collect.ImmutableList;
import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.interpreter.ReferenceInterpreter;
import dev.kiln.runtime.compiled.CompiledModel;
import dev.kiln.runtime.compiled.WarmUp;
import dev.kiln.runtime.artifact.ArtifactModel;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.Optional;
import dev.kiln.runtime.compiled.OutputDestinations;
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
  private final Optional<java.nio.file.Path> baseDir;
  private final ModelOptions options;
  private final ReferenceInterpreter interpreter;
  private final CompiledModel compiled;
  private final List<String> compileLog = new CopyOnWriteArrayList<>();
  /** Set when loaded from an ahead-of-time artifact; then there is no source, graph or engine. */
  private final ArtifactModel artifact;

  /** A model that runs an artifact's compiled code (options: only the thread count applies). */
  Model(ArtifactModel artifact, ModelOptions options) {
    this.source = null;
    this.baseDir = Optional.empty();
    this.options = options;
    this.interpreter = null;
    this.compiled = null;
    this.artifact = artifact;
    var m = artifact.manifest();
    compileLog.add(String.format(Locale.ROOT,
        "loaded %s: compiled ahead of time by Kiln %s with JDK %s for %s, load %.1f ms",
        artifact.source(), m.kilnVersion(), m.javaVersion(), String.join(", ", m.inputs().stream()
            .map(t -> "%" + t.name() + t.shape()).toList()), artifact.loadNanos() / 1e6));
  }

  Model(KilnModel source, ModelOptions options) {
    this(source, options, Optional.empty());
  }

  /** @param baseDir the directory of the model file, which the weights file is relative to */
  Model(KilnModel source, ModelOptions options, Optional<java.nio.file.Path> baseDir) {
    this.source = source;
    this.baseDir = baseDir;
    this.options = options;
    this.artifact = null;
    this.interpreter = new ReferenceInterpreter(source.graph(), OpRegistry.standard());
    this.compiled = options.engine() == ModelOptions.Engine.COMPILED
        ? CompiledEngine.create(source, baseDir, options, r -> compileLog.add(describe(r)))
        : null;
  }

  /**
   * One entry per signature compiled so far (compiled engine: the input shapes, and the values
   * of inputs that decide shapes): a line with the shapes (and those values), lowering and
   * compile times, where the classes came from, and the planned scratch
   * memory; then, when the code was generated in this process, one indented line per code
   * generator note (a loop that did not get the code its schedule asked for).
   */
  public List<String> compileLog() {
    return List.copyOf(compileLog);
  }

  private static String describe(CompiledEngine.Report r) {
    StringBuilder shapes = new StringBuilder();
    r.shapes().forEach((n, s) -> {
      shapes.append(shapes.isEmpty() ? "" : ", ").append('%').append(n).append(Arrays.toString(s));
      if (r.values().containsKey(n)) {
        shapes.append(" = ").append(valuesText(r.values().get(n)));
      }
    });
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

  /** The elements of a small tensor whose values the code is compiled for: {@code [2, 3]}. */
  private static String valuesText(Tensor t) {
    StringBuilder sb = new StringBuilder("[");
    for (long i = 0; i < t.size(); i++) {
      sb.append(i == 0 ? "" : ", ");
      if (t.dtype().isFloating()) {
        sb.append(t.getDouble(i));
      } else {
        sb.append(t.dtype() == dev.kiln.ir.type.DType.BOOL ? t.getBoolean(i) : t.getLong(i));
      }
    }
    return sb.append(']').toString();
  }

  /**
   * The verified graph.
   *
   * @throws IllegalStateException for a model loaded from an artifact, which holds compiled code
   *     only (see {@link #artifact()})
   */
  public Graph graph() {
    return source().graph();
  }

  /**
   * The model as it was read, with its weights file reference.
   *
   * @throws IllegalStateException for a model loaded from an artifact
   */
  public KilnModel source() {
    if (source == null) {
      throw new IllegalStateException("the model loaded from " + artifact.source()
          + " is compiled code only: it has no graph or source");
    }
    return source;
  }

  /** The ahead-of-time artifact this model was loaded from, if it was. */
  public Optional<ArtifactModel> artifact() {
    return Optional.ofNullable(artifact);
  }

  /** The directory of the model file, when loaded from one. */
  Optional<java.nio.file.Path> baseDir() {
    return baseDir;
  }

  public ModelOptions options() {
    return options;
  }

  /**
   * The named inputs with their types (symbolic dims such as {@code N} bind at run time; an
   * artifact's inputs have the concrete shapes it was compiled for).
   */
  public ImmutableList<Value> inputs() {
    return artifact != null ? values(artifact.inputs()) : graph().inputs();
  }

  /** The named outputs with their types (an artifact's at the shapes it was compiled for). */
  public ImmutableList<Value> outputs() {
    return artifact != null ? values(artifact.outputs()) : graph().outputs();
  }

  private static ImmutableList<Value> values(List<dev.kiln.runtime.artifact.ArtifactManifest.TensorSpec> specs) {
    return specs.stream().map(s -> new Value(s.name(), new TensorType(s.dtype(), Shape.of(s.shapeArray()))))
        .collect(ImmutableList.toImmutableList());
  }

  /**
   * Runs the model on named inputs and returns the outputs by name, in the model's output order.
   *
   * @throws dev.kiln.runtime.interpreter.RunException when an input is missing, unknown, or of the
   *     wrong type or shape, or an operator rejects its run-time values
   */
  public Map<String, Tensor> run(Map<String, Tensor> inputs) {
    if (artifact != null) {
      return artifact.run(inputs);
    }
    return compiled != null ? compiled.run(inputs) : interpreter.run(inputs);
  }

  /**
   * Runs the model on named inputs and writes each output into the caller's memory, named by
   * output: what a service that answers many requests calls so that a run allocates nothing. The
   * destinations hold little-endian tensor storage (an f32 output is its floats in row-major
   * order), each exactly the output's size: its shape follows from the inputs' shapes (the
   * same as {@link #run} returns for them). With the compiled engine, or an artifact, a segment
   * over a Java array of the output's storage type and exactly its length
   * ({@code MemorySegment.ofArray(new float[n])} for an f32 output of n elements) is written by
   * the kernels themselves; any other writable segment (off-heap, a slice) receives a copy. The
   * interpreter engine computes the outputs as {@link #run} does and copies them in. On a failed
   * run the destinations' contents are unspecified.
   *
   * @throws dev.kiln.runtime.interpreter.RunException when an input is wrong (as {@link #run}), or
   *     a destination is missing, names no output, has another size than its output, is
   *     read-only, or overlaps another destination (every problem at once)
   */
  public void runInto(Map<String, Tensor> inputs, Map<String, java.lang.foreign.MemorySegment> outputs) {
    if (artifact != null) {
      artifact.runInto(inputs, outputs);
    } else if (compiled != null) {
      compiled.runInto(inputs, outputs);
    } else {
      copyInto(interpreter.run(inputs), outputs);
    }
  }

  /** The interpreter's outputs into the destinations, checked as the compiled engine checks them. */
  private static void copyInto(Map<String, Tensor> results, Map<String, java.lang.foreign.MemorySegment> into) {
    List<String> names = List.copyOf(results.keySet());
    List<java.lang.foreign.MemorySegment> destinations = OutputDestinations.inOrder(into, names);
    List<Tensor> tensors = List.copyOf(results.values());
    OutputDestinations.check(destinations, names, tensors.stream().map(t -> t.type().toString()).toList(),
        tensors.stream().map(t -> t.data().byteSize()).toList());
    for (int j = 0; j < names.size(); j++) {
      java.lang.foreign.MemorySegment.copy(tensors.get(j).data(), 0, destinations.get(j), 0,
          destinations.get(j).byteSize());
    }
  }

  /**
   * Runs the model on {@code inputs} until its run time settles and the JIT has stopped compiling
   * (at least {@link WarmUp#DEFAULT_MIN_RUNS} runs, at most {@link WarmUp#DEFAULT_MAX_NANOS}), so
   * that the JIT has compiled the generated kernels before the first run that counts; the outputs are
   * dropped. What a service calls after loading a model and before taking requests, with inputs
   * of the shapes it will serve (the compiled engine compiles code per input shapes). It changes
   * no result: later runs compute exactly what they would have without it.
   *
   * @return how many runs it made, how long it took, the run time it reached, and whether that
   *     settled within the budget
   * @throws dev.kiln.runtime.interpreter.RunException when the inputs are wrong (as {@link #run})
   */
  public WarmUp warmUp(Map<String, Tensor> inputs) {
    return warmUp(inputs, java.time.Duration.ofNanos(WarmUp.DEFAULT_MAX_NANOS));
  }

  /**
   * As {@link #warmUp(Map)}, within {@code budget} (it stops early once settled; a zero budget
   * makes one run).
   *
   * @throws IllegalArgumentException when the budget is negative
   */
  public WarmUp warmUp(Map<String, Tensor> inputs, java.time.Duration budget) {
    if (budget.isNegative()) {
      throw new IllegalArgumentException("a warm-up's time budget must not be negative, got " + budget);
    }
    Map<String, Tensor> fixed = Map.copyOf(inputs);
    return WarmUp.run(() -> run(fixed), WarmUp.DEFAULT_MIN_RUNS, budget.toNanos());
  }

  /**
   * As {@link #warmUp(Map, java.time.Duration)} on synthetic inputs: reals from N(0, 1), integers
   * 0, booleans at random (seeded), symbolic dims 1. For a model whose inputs have fixed shapes;
   * with a batch dim {@code N}, warm up on inputs of the batch size that will be served instead.
   *
   * @throws IllegalStateException when some input's values decide shapes (a Reshape's shape fed
   *     as an input): synthetic values would compile code for the wrong shapes
   */
  public WarmUp warmUp(java.time.Duration budget) {
    if (compiled != null && !compiled.specializedOn().isEmpty()) {
      throw new IllegalStateException("cannot warm up on synthetic inputs: the values of "
          + String.join(", ", compiled.specializedOn().keySet().stream().map(n -> "%" + n).toList())
          + " decide shapes (" + String.join("; ", compiled.specializedOn().values())
          + "); warm up on real inputs with warmUp(inputs, budget)");
    }
    return warmUp(SyntheticInputs.of(inputs()), budget);
  }
}
