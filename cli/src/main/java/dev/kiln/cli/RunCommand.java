package dev.kiln.cli;

import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.api.ModelOptions;
import dev.kiln.frontend.npy.Npy;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.RandomTensors;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.Dim;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Run a model on inputs from .npy files or on random inputs; print each output's name, "
          + "shape and a summary, and optionally write the outputs as .npy files."
    })
final class RunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Parameters(paramLabel = "FILE",
      description = "The model (.kiln or .onnx), or an artifact from 'kiln compile' (.jar).")
  Path file;

  @Option(
      names = "--input",
      paramLabel = "NAME=FILE.npy",
      description = "An input tensor from a NumPy .npy file (repeat for each input).")
  List<String> inputs = new ArrayList<>();

  @Option(
      names = "--random-input",
      description = "Fill every input not given with --input with seeded random values "
          + "(reals N(0,1), integers in [0, 10), booleans fair).")
  boolean randomInput;

  @Option(names = "--seed", defaultValue = "0", description = "Seed for --random-input (default 0).")
  long seed;

  @Option(
      names = "--dim",
      paramLabel = "NAME=SIZE",
      description = "Size of a symbolic dimension for --random-input (default 1), e.g. --dim N=8.")
  Map<String, Long> dims = new LinkedHashMap<>();

  @Option(
      names = "--output",
      paramLabel = "DIR",
      description = "Write each output to DIR/<output name>.npy (unsafe characters in names become _).")
  Path outputDir;

  /** Engine names on the command line. */
  enum EngineName {
    interpreter(ModelOptions.Engine.INTERPRETER),
    compiled(ModelOptions.Engine.COMPILED);

    final ModelOptions.Engine engine;

    EngineName(ModelOptions.Engine engine) {
      this.engine = engine;
    }
  }

  @Option(
      names = "--engine",
      paramLabel = "ENGINE",
      description = "interpreter (the reference, one operator at a time) or compiled (loop IR "
          + "compiled to Java in memory, per input shape); default: ${DEFAULT-VALUE}.")
  EngineName engine = defaultEngine();

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Threads for the compiled engine's parallel loops (default: the number of processors).")
  Integer threads;

  @Option(
      names = "--cache-dir",
      paramLabel = "DIR",
      description = "Keep compiled kernels in DIR across runs (compiled engine; default: in memory only).")
  Path cacheDir;

  @picocli.CommandLine.Mixin
  PassFlags passFlags = new PassFlags();

  @Option(
      names = "--warm-up",
      paramLabel = "SECONDS",
      description = "Before the run, run the model on the same inputs until its run time settles "
          + "(at most SECONDS; the JIT compiles the generated kernels meanwhile) and print what the "
          + "warm-up reached to stderr (Model.warmUp in the Java API).")
  Double warmUpSeconds;

  @Option(
      names = "--stats",
      description = "Print what the compiled engine compiled (times, scratch memory) to stderr.")
  boolean stats;

  private static EngineName defaultEngine() {
    return ModelOptions.defaults().engine() == ModelOptions.Engine.COMPILED
        ? EngineName.compiled : EngineName.interpreter;
  }

  private ModelOptions options() {
    ModelOptions options = ModelOptions.defaults().withEngine(engine.engine);
    if (threads != null) {
      if (threads < 1) {
        throw new UserException("--threads must be at least 1, got " + threads);
      }
      options = options.withThreads(threads);
    }
    if (cacheDir != null) {
      options = options.withCacheDirectory(cacheDir);
    }
    return passFlags.applyTo(options, spec.commandLine().getErr());
  }

  @Override
  public Integer call() {
    Model model = Kiln.load(file, options());
    if (model.artifact().isEmpty() && passFlags.any() && engine != EngineName.compiled) {
      throw new UserException("the pass options apply to the compiled engine only, not to --engine " + engine);
    }
    if (model.artifact().isPresent()) {
      if (passFlags.any()) {
        throw new UserException(file + " is compiled code already: the pass options do not apply to an artifact");
      }
      for (String option : List.of("--engine", "--cache-dir")) {
        if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
          throw new UserException(file + " is compiled code already: " + option
              + " does not apply to an artifact");
        }
      }
    }
    Map<String, Tensor> feed = readInputs(model);
    if (warmUpSeconds != null) {
      if (!(warmUpSeconds >= 0) || warmUpSeconds > 86_400) {
        throw new UserException("--warm-up takes seconds from 0 to 86400, got " + warmUpSeconds);
      }
      var warmUp = model.warmUp(feed, java.time.Duration.ofNanos(Math.round(warmUpSeconds * 1e9)));
      spec.commandLine().getErr().println(warmUp.describe());
    }
    Map<String, Tensor> results = model.run(feed);
    if (stats) {
      model.compileLog().forEach(line -> spec.commandLine().getErr().println(line));
    }
    for (Map.Entry<String, Tensor> e : results.entrySet()) {
      out().println(TensorSummary.describe(e.getKey(), e.getValue()));
    }
    if (outputDir != null) {
      writeOutputs(results);
    }
    return 0;
  }

  private Map<String, Tensor> readInputs(Model model) {
    Map<String, Tensor> feed = new LinkedHashMap<>();
    for (String spec : inputs) {
      int eq = spec.indexOf('=');
      if (eq <= 0 || eq == spec.length() - 1) {
        throw new UserException("--input takes NAME=FILE.npy, got '" + spec + "'");
      }
      String name = spec.substring(0, eq);
      if (model.inputs().stream().noneMatch(v -> v.name().equals(name))) {
        throw new UserException("--input " + name + ": the model has no input named '" + name
            + "'; its inputs are " + model.inputs().stream().map(Value::name).toList());
      }
      if (feed.put(name, Npy.read(Path.of(spec.substring(eq + 1)))) != null) {
        throw new UserException("--input " + name + " is given twice");
      }
    }
    if (!dims.isEmpty() && model.artifact().isPresent()) {
      throw new UserException(file + " is compiled for fixed shapes (" + String.join(", ",
          model.inputs().stream().map(v -> v.name() + ": " + v.type()).toList())
          + "); --dim does not apply: compile the model again with --dim");
    }
    for (String dim : dims.keySet()) {
      if (dims.get(dim) < 0) {
        throw new UserException("--dim " + dim + " must be >= 0, got " + dims.get(dim));
      }
    }
    RandomTensors random = new RandomTensors(seed, 10);
    for (Value in : model.inputs()) {
      if (feed.containsKey(in.name())) {
        continue;
      }
      if (!randomInput) {
        throw new UserException("input '" + in.name() + "' (" + in.type()
            + ") is not given: pass --input " + in.name() + "=FILE.npy or --random-input");
      }
      feed.put(in.name(), random.tensor(in.type().dtype(), concreteShape(in)));
    }
    return feed;
  }

  private long[] concreteShape(Value in) {
    List<Dim> d = in.type().shape().dims();
    long[] shape = new long[d.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = switch (d.get(i)) {
        case Dim.Known k -> k.size();
        case Dim.Named n -> dims.getOrDefault(n.name(), 1L);
        case Dim.Unknown u -> throw new UserException("input '" + in.name() + "' dim " + i
            + " has no size known before run time; give the input with --input");
      };
    }
    return shape;
  }

  private void writeOutputs(Map<String, Tensor> results) {
    try {
      Files.createDirectories(outputDir);
      Map<String, String> used = new LinkedHashMap<>();
      for (Map.Entry<String, Tensor> e : results.entrySet()) {
        String fileName = OutputFileNames.forValue(e.getKey(), used.keySet());
        used.put(fileName, e.getKey());
        Path target = outputDir.resolve(fileName);
        Npy.write(target, e.getValue());
        out().println("wrote " + target);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
