package dev.kiln.bench;

import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.frontend.ModelLoadException;
import dev.kiln.frontend.onnx.OnnxModels;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.compiled.KernelProfiler;
import dev.kiln.runtime.interpreter.RunException;
import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Benchmarks one model: loads it in Kiln and in ONNX Runtime, binds the same inputs to both,
 * compares their outputs, then times each (warm-up, then timed runs). An engine that cannot load
 * or run the model is reported with the reason, never hidden; the other still runs.
 */
final class ModelBench {
  private final BenchSettings settings;
  private final Path scratch;
  private final boolean profile;
  private final int interleaveBlocks;
  private List<Double> blockRatios = List.of();
  private List<KernelProfiler.KernelTime> kernelTimes = List.of();
  /** Wall-clock nanoseconds of the profiled runs, whole (kernels and everything around them). */
  private long profiledNanos;
  private KernelProfiler.LoopCounts loopCounts = new KernelProfiler.LoopCounts(0, 0, 0, 0);
  private List<OrtProfile.NodeTime> ortNodeTimes = List.of();
  private String ortProfileProblem = "";
  private dev.kiln.ir.graph.Graph modelGraph;
  private KernelProfiler.SplitSpans splitSpans;

  /** @param scratch a directory for ONNX files made on the way (synthetic or .kiln models) */
  ModelBench(BenchSettings settings, Path scratch) {
    this(settings, scratch, false);
  }

  /**
   * @param profile after Kiln's timed runs, run it {@code runs} times more with the
   *     {@link KernelProfiler} on ({@link #kernelTimes})
   */
  ModelBench(BenchSettings settings, Path scratch, boolean profile) {
    this(settings, scratch, profile, 0);
  }

  /**
   * @param interleaveBlocks when above 0, both engines are timed in that many alternating blocks
   *     of {@code runs} runs each ({@link Timing#measureInBlocks}), ONNX Runtime's session open
   *     beside Kiln's runs
   */
  ModelBench(BenchSettings settings, Path scratch, boolean profile, int interleaveBlocks) {
    this.settings = settings;
    this.scratch = scratch;
    this.profile = profile;
    this.interleaveBlocks = interleaveBlocks;
  }

  /**
   * Kiln's median over ONNX Runtime's in each block of the last model's interleaved timing, in
   * block order; empty when not interleaved or an engine did not run.
   */
  List<Double> blockRatios() {
    return blockRatios;
  }

  /** The kernel times of the last model's profiled runs, longest first; empty without profile. */
  List<KernelProfiler.KernelTime> kernelTimes() {
    return kernelTimes;
  }

  /** Wall-clock milliseconds per profiled run, whole: what the kernels' times leave is outside them. */
  double profiledMillisPerRun() {
    return profiledNanos / 1e6 / Math.max(1, settings.runs());
  }

  /** The parallel loops of the profiled runs: split or run on the caller, and why. */
  /** The split loops' time line of the profiled runs (null without --profile). */
  KernelProfiler.SplitSpans splitSpans() {
    return splitSpans;
  }

  KernelProfiler.LoopCounts loopCounts() {
    return loopCounts;
  }

  /**
   * ONNX Runtime's per-node times of the last model, from its own profiler, run after its timed
   * runs in a session of its own; empty without profile, or when that failed
   * ({@link #ortProfileProblem}).
   */
  List<OrtProfile.NodeTime> ortNodeTimes() {
    return ortNodeTimes;
  }

  /** The last model's graph as read (before Kiln's passes), or null if Kiln could not load it. */
  dev.kiln.ir.graph.Graph modelGraph() {
    return modelGraph;
  }

  /** Why ONNX Runtime's profile is missing, or empty. */
  String ortProfileProblem() {
    return ortProfileProblem;
  }

  /** Benchmarks a model file (.onnx or .kiln) or a synthetic model spec ({@link SyntheticModels}). */
  BenchResult run(String model) throws IOException {
    if (SyntheticModels.isSpec(model)) {
      return runFile(SyntheticModels.writeOnnx(model, scratch), model);
    }
    return runFile(Path.of(model), Path.of(model).getFileName().toString());
  }

  BenchResult runFile(Path file, String displayName) throws IOException {
    Model kilnModel = null;
    String kilnFailure = null;
    try {
      kilnModel = Kiln.load(file, settings.kilnOptions());
    } catch (ModelLoadException e) {
      // The diagnostics start with the file's path, which the report names already.
      kilnFailure = "cannot load: " + e.getMessage().replace(file + ": ", "");
    } catch (RuntimeException e) {
      kilnFailure = "cannot load: " + describe(e);
    }

    // ONNX Runtime reads ONNX: a Kiln text model is exported first.
    Path onnxFile = file;
    String ortFailure = null;
    if (!file.getFileName().toString().endsWith(".onnx")) {
      onnxFile = null;
      if (kilnModel != null) {
        try {
          onnxFile = scratch.resolve(displayName.replaceAll("[^A-Za-z0-9_.-]", "_") + ".onnx");
          OnnxModels.write(kilnModel.source(), onnxFile);
        } catch (RuntimeException e) {
          onnxFile = null;
          ortFailure = "cannot export the model to ONNX: " + describe(e);
        }
      } else {
        ortFailure = "needs an ONNX model, and Kiln could not read this one";
      }
    }

    List<Value> inputValues = null;
    if (kilnModel != null) {
      inputValues = kilnModel.inputs();
    } else if (onnxFile != null) {
      try {
        inputValues = OrtRunner.declaredInputs(onnxFile);
      } catch (OrtException | RuntimeException e) {
        ortFailure = "cannot load: " + describe(e);
      }
    }
    ModelInputs inputs = inputValues == null ? new ModelInputs(Map.of(), "none")
        : ModelInputs.of(inputValues, file, settings.seed());
    modelGraph = kilnModel == null ? null : kilnModel.graph();
    OptionalLong flops = kilnModel == null ? OptionalLong.empty() : Flops.ofSingleOp(kilnModel.graph());

    EngineRunner kiln = kilnModel == null ? null : new KilnRunner(kilnModel, inputs.tensors());
    String kilnName = kiln == null ? "kiln " + settings.engine().name().toLowerCase() : kiln.name();
    String ortName = "onnxruntime " + OrtRunner.VERSION;
    // Kiln runs, and is timed, before ONNX Runtime's session exists: its intra-op workers spin
    // between runs, and in this process they would take the cores Kiln's timed runs need (a
    // 1024^3 GEMM on 2 threads took 42 ms beside a live session, 8.7 ms without one). Turning
    // their spinning off instead would slow ONNX Runtime's own small-model runs (its default).
    // Interleaved blocks (--interleave) open it first and pause after each block instead.
    // The first run of each is kept for the comparison; Kiln's includes compiling the kernels.
    Map<String, Tensor> kilnOut = null;
    double kilnFirst = Double.NaN;
    if (kiln != null) {
      long start = System.nanoTime();
      try {
        kilnOut = kiln.outputs();
        kilnFirst = (System.nanoTime() - start) / 1e6;
      } catch (Exception e) {
        kilnFailure = "cannot run: " + describe(e);
      }
    }
    blockRatios = List.of();
    EngineResult kilnResult = null;
    EngineResult interleavedOrt = null;
    OrtStart ort = null;
    if (interleaveBlocks > 0 && kilnOut != null && ortFailure == null && onnxFile != null) {
      ort = startOrt(onnxFile, inputs.tensors());
      if (ort.outputs() != null) {
        BothTimed both = timedInBlocks(kiln, kilnFirst, ort.runner(), ort.firstMillis());
        kilnResult = both.kiln();
        interleavedOrt = both.ort();
      }
    }
    if (kilnResult == null) {
      kilnResult = kilnOut == null ? EngineResult.failed(kilnName, kilnFailure) : timed(kiln, kilnFirst);
    }
    kernelTimes = List.of();
    if (profile && kilnOut != null && kilnResult.succeeded()) {
      KernelProfiler.start();
      long start = System.nanoTime();
      try {
        for (int i = 0; i < settings.runs(); i++) {
          kiln.runOnce();
        }
      } catch (Exception e) {
        // Timed just before: a failure now is reported by the timing already.
      } finally {
        profiledNanos = System.nanoTime() - start;
        loopCounts = KernelProfiler.loopCounts();
        splitSpans = KernelProfiler.splitSpans();
        kernelTimes = KernelProfiler.stop();
      }
    }
    if (ort == null && ortFailure == null && onnxFile != null) {
      ort = startOrt(onnxFile, inputs.tensors());
    }
    try {
      Map<String, Tensor> ortOut = ort == null ? null : ort.outputs();
      double ortFirst = ort == null ? Double.NaN : ort.firstMillis();
      if (ort != null && ort.failure() != null) {
        ortFailure = ort.failure();
      }

      List<Agreement> agreements = new ArrayList<>();
      Optional<String> agreementProblem = Optional.empty();
      if (kilnOut != null && ortOut != null) {
        agreementProblem = compare(kilnOut, ortOut, agreements);
      } else {
        agreementProblem = Optional.of("not compared: an engine did not run");
      }

      EngineResult ortResult = ortOut == null ? EngineResult.failed(ortName, ortFailure)
          : interleavedOrt != null ? interleavedOrt : timed(ort.runner(), ortFirst);
      ortNodeTimes = List.of();
      ortProfileProblem = "";
      if (profile && ortResult.succeeded()) {
        // A session of its own: the profiler's bookkeeping must not touch the timed runs.
        ort.runner().close();
        ort = null;
        profileOrt(onnxFile, inputs.tensors());
      }
      return new BenchResult(displayName, inputs.source(), settings, flops, kilnResult, ortResult,
          agreements, agreementProblem);
    } finally {
      if (ort != null && ort.runner() != null) {
        ort.runner().close();
      }
    }
  }

  /**
   * ONNX Runtime's session with the inputs bound, and its first run: the runner (null when it
   * could not load), the outputs and the first run's milliseconds (null and NaN when it did not
   * run), or why not.
   */
  private record OrtStart(OrtRunner runner, Map<String, Tensor> outputs, double firstMillis,
      String failure) {}

  private OrtStart startOrt(Path onnxFile, Map<String, Tensor> inputs) {
    OrtRunner runner;
    try {
      runner = OrtRunner.open(onnxFile, settings.threads(), inputs);
    } catch (OrtException | RuntimeException e) {
      return new OrtStart(null, null, Double.NaN, "cannot load: " + describe(e));
    }
    long start = System.nanoTime();
    try {
      Map<String, Tensor> outputs = runner.outputs();
      return new OrtStart(runner, outputs, (System.nanoTime() - start) / 1e6, null);
    } catch (Exception e) {
      return new OrtStart(runner, null, Double.NaN, "cannot run: " + describe(e));
    }
  }

  /** The two engines' results when timed together. */
  private record BothTimed(EngineResult kiln, EngineResult ort) {}

  /** Kiln and ONNX Runtime timed in alternating blocks; sets {@link #blockRatios}. */
  private BothTimed timedInBlocks(EngineRunner kiln, double kilnFirst, EngineRunner ort,
      double ortFirst) {
    Timing.Blocks blocks;
    try {
      blocks = Timing.measureInBlocks(List.of(kiln, ort), settings, interleaveBlocks);
    } catch (Exception e) {
      // Which engine failed is unknown here: each is timed again on its own, which says.
      return new BothTimed(timed(kiln, kilnFirst), timed(ort, ortFirst));
    }
    List<Double> ratios = new ArrayList<>();
    for (int b = 0; b < interleaveBlocks; b++) {
      ratios.add(blocks.blockMedians()[0][b] / blocks.blockMedians()[1][b]);
    }
    blockRatios = List.copyOf(ratios);
    return new BothTimed(EngineResult.ran(kiln.name(), blocks.timed().get(0), kilnFirst),
        EngineResult.ran(ort.name(), blocks.timed().get(1), ortFirst));
  }

  /**
   * Runs ONNX Runtime with its profiler on: a warm-up, then {@code runs} runs whose per-node
   * times are kept. A failure leaves a reason, never an exception: the timings stand without it.
   */
  private void profileOrt(Path onnxFile, Map<String, Tensor> inputs) {
    int warmup = Math.max(10, settings.warmup());
    int runs = Math.max(1, settings.runs());
    try (OrtRunner profiled = OrtRunner.open(onnxFile, settings.threads(), inputs,
        scratch.resolve("ort-profile"))) {
      for (int i = 0; i < warmup + runs; i++) {
        profiled.runOnce();
      }
      Path trace = profiled.endProfiling();
      try {
        ortNodeTimes = OrtProfile.nodeTimes(Files.readString(trace), runs);
      } finally {
        Files.deleteIfExists(trace);
      }
    } catch (OrtException | IOException | RuntimeException e) {
      ortProfileProblem = "ONNX Runtime's profile: " + describe(e);
    }
  }

  private EngineResult timed(EngineRunner runner, double firstRunMillis) {
    try {
      return EngineResult.ran(runner.name(), Timing.measure(runner, settings), firstRunMillis);
    } catch (Exception e) {
      return EngineResult.failed(runner.name(), "failed while timed: " + describe(e));
    }
  }

  /** Compares the outputs in order (the importer may rename them); returns a problem if any. */
  static Optional<String> compare(Map<String, Tensor> kiln, Map<String, Tensor> reference,
      List<Agreement> agreements) {
    if (kiln.size() != reference.size()) {
      return Optional.of("Kiln gives " + kiln.size() + " outputs, ONNX Runtime " + reference.size());
    }
    List<Map.Entry<String, Tensor>> k = new ArrayList<>(kiln.entrySet());
    List<Map.Entry<String, Tensor>> r = new ArrayList<>(reference.entrySet());
    for (int i = 0; i < k.size(); i++) {
      Tensor a = k.get(i).getValue();
      Tensor b = r.get(i).getValue();
      if (!Arrays.equals(a.shape(), b.shape())) {
        return Optional.of("output '" + k.get(i).getKey() + "' has shape " + Arrays.toString(a.shape())
            + " in Kiln, " + Arrays.toString(b.shape()) + " in ONNX Runtime");
      }
      agreements.add(Agreement.of(k.get(i).getKey(), a.toDoubleArray(), b.toDoubleArray()));
    }
    return Optional.empty();
  }

  /** A one-line reason: the message of a user-facing exception, else its class and message. */
  static String describe(Throwable e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    if (e instanceof ModelLoadException || e instanceof RunException || e instanceof OrtException
        || e instanceof IllegalArgumentException) {
      return message;
    }
    return e.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message);
  }

  static Path createScratch() throws IOException {
    Path dir = Files.createTempDirectory("kiln-bench");
    dir.toFile().deleteOnExit();
    return dir;
  }
}
