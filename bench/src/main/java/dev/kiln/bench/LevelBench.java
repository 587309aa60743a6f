package dev.kiln.bench;

import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.api.ModelOptions;
import dev.kiln.api.Passes;
import dev.kiln.frontend.ModelLoadException;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.passes.pipeline.IrLevel;
import dev.kiln.passes.pipeline.Pipeline;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Runs one model with Kiln alone at two optimization levels ({@code kiln bench --compare-levels}):
 * at each, counts the graph nodes its graph passes leave and the loop-IR kernels of its whole
 * preset (the pipeline run for inspection, as {@code kiln print -O<level>}) and loads the model
 * with that level; then times the two in turns and compares the high level's outputs with the low
 * level's.
 */
final class LevelBench {
  private final BenchSettings settings;
  private final int low;
  private final int high;
  private final Path scratch;

  LevelBench(BenchSettings settings, int low, int high, Path scratch) {
    this.settings = settings;
    this.low = low;
    this.high = high;
    this.scratch = scratch;
  }

  /** Compares a model file (.onnx or .kiln) or a synthetic model spec ({@link SyntheticModels}). */
  LevelComparison run(String model) throws IOException {
    if (SyntheticModels.isSpec(model)) {
      return runFile(SyntheticModels.writeOnnx(model, scratch), model);
    }
    return runFile(Path.of(model), Path.of(model).getFileName().toString());
  }

  LevelComparison runFile(Path file, String displayName) {
    ModelInputs inputs;
    try {
      inputs = ModelInputs.of(Kiln.load(file, options(low, ModelOptions.Engine.INTERPRETER)).inputs(),
          file, settings.seed());
    } catch (ModelLoadException e) {
      String why = "cannot load: " + e.getMessage().replace(file + ": ", "");
      return new LevelComparison(displayName, "none", LevelFigures.failed(low, why),
          LevelFigures.failed(high, why), List.of(), Optional.of("not compared: Kiln cannot load the model"));
    } catch (RuntimeException e) {
      String why = "cannot load: " + ModelBench.describe(e);
      return new LevelComparison(displayName, "none", LevelFigures.failed(low, why),
          LevelFigures.failed(high, why), List.of(), Optional.of("not compared: Kiln cannot load the model"));
    }
    Map<String, Tensor> lowOut = new LinkedHashMap<>();
    Map<String, Tensor> highOut = new LinkedHashMap<>();
    List<LevelFigures> figures = time(List.of(prepare(file, low, inputs, lowOut),
        prepare(file, high, inputs, highOut)));
    LevelFigures lowFigures = figures.get(0);
    LevelFigures highFigures = figures.get(1);
    List<Agreement> agreements = new ArrayList<>();
    Optional<String> problem = lowOut.isEmpty() || highOut.isEmpty()
        ? Optional.of("not compared: a level did not run")
        : compare(highOut, lowOut, agreements);
    return new LevelComparison(displayName, inputs.source(), lowFigures, highFigures, agreements, problem);
  }

  private ModelOptions options(int level, ModelOptions.Engine engine) {
    return settings.kilnOptions().withEngine(engine).withOptimizationLevel(level);
  }

  /** A level's counts and its loaded model, or why it cannot be timed. */
  private record Prepared(int level, OptionalInt nodes, OptionalInt kernels, KilnRunner runner,
      Optional<String> failure) {

    LevelFigures figures(Optional<LatencyStats> latency, Optional<String> timingFailure) {
      return new LevelFigures(level, nodes, kernels, latency, failure.or(() -> timingFailure));
    }
  }

  /** Counts the nodes and kernels of one level, loads it and runs it once into {@code outputs}. */
  private Prepared prepare(Path file, int level, ModelInputs inputs, Map<String, Tensor> outputs) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    inputs.tensors().forEach((name, t) -> shapes.put(name, t.shape()));
    OptionalInt nodes;
    OptionalInt kernels;
    try {
      ModelOptions inspect = options(level, ModelOptions.Engine.INTERPRETER);
      Pipeline graphPart = graphPart(Passes.pipeline(inspect));
      nodes = OptionalInt.of(Passes.run(Kiln.load(file, inspect.withPipeline(graphPart)), shapes)
          .graph().nodes().size());
      kernels = OptionalInt.of(Passes.run(Kiln.load(file, inspect), shapes).program().kernels().size());
    } catch (RuntimeException e) {
      return new Prepared(level, OptionalInt.empty(), OptionalInt.empty(), null,
          Optional.of("passes failed: " + ModelBench.describe(e)));
    }
    try {
      // The first run compiles the kernels; it is not timed.
      KilnRunner runner = new KilnRunner(Kiln.load(file, options(level, settings.engine())), inputs.tensors());
      outputs.putAll(runner.outputs());
      return new Prepared(level, nodes, kernels, runner, Optional.empty());
    } catch (RuntimeException e) {
      return new Prepared(level, nodes, kernels, null, Optional.of("cannot run: " + ModelBench.describe(e)));
    }
  }

  /** Times the levels that ran in turns ({@link Timing#measureInterleaved}). */
  private List<LevelFigures> time(List<Prepared> levels) {
    List<Prepared> ran = levels.stream().filter(p -> p.failure().isEmpty()).toList();
    List<LatencyStats> stats;
    try {
      stats = Timing.measureInterleaved(ran.stream().map(Prepared::runner).toList(), settings).stream()
          .map(TimedRuns::latency).toList();
    } catch (Exception e) {
      String why = "failed while timed: " + ModelBench.describe(e);
      return levels.stream().map(p -> p.figures(Optional.empty(), Optional.of(why))).toList();
    }
    List<LevelFigures> out = new ArrayList<>();
    for (Prepared p : levels) {
      int i = ran.indexOf(p);
      out.add(p.figures(i < 0 ? Optional.empty() : Optional.of(stats.get(i)), Optional.empty()));
    }
    return out;
  }

  /**
   * The passes of {@code pipeline} up to the first that leaves graph IR (lowering): what they
   * leave is the graph that is lowered.
   */
  static Pipeline graphPart(Pipeline pipeline) {
    List<Pipeline.PassStep> steps = new ArrayList<>();
    for (Pipeline.PassStep p : pipeline.passes()) {
      if (p.info().output() != IrLevel.GRAPH) {
        break;
      }
      steps.add(p);
    }
    return new Pipeline(steps);
  }

  /** Compares outputs by name: the same model, so the same names and shapes. */
  static Optional<String> compare(Map<String, Tensor> actual, Map<String, Tensor> reference,
      List<Agreement> agreements) {
    if (!actual.keySet().equals(reference.keySet())) {
      return Optional.of("the levels give different outputs: " + actual.keySet() + " and " + reference.keySet());
    }
    for (var e : reference.entrySet()) {
      Tensor a = actual.get(e.getKey());
      Tensor r = e.getValue();
      if (!Arrays.equals(a.shape(), r.shape())) {
        return Optional.of("output '" + e.getKey() + "' has shape " + Arrays.toString(a.shape())
            + " at the high level, " + Arrays.toString(r.shape()) + " at the low level");
      }
      agreements.add(Agreement.of(e.getKey(), a.toDoubleArray(), r.toDoubleArray()));
    }
    return Optional.empty();
  }
}
