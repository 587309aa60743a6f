package dev.kiln.bench;

import dev.kiln.api.ModelOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kiln bench}: Kiln against ONNX Runtime Java on one model, or on every model of a
 * directory. {@code bin/kiln bench ...} runs it (this module's jar, with ONNX Runtime on its
 * classpath, which Kiln's own modules never have).
 *
 * <p>Exit codes as {@code kiln}'s: 0 success, 1 an engine failed or the outputs disagree (the
 * figures are printed anyway; with {@code --all}, a model Kiln cannot load is skipped, not failed),
 * 2 a wrong command line, 3 an internal error.
 */
@Command(
    name = "kiln bench",
    description = {
      "Run a model on Kiln and on ONNX Runtime Java in this process, on the same inputs and thread "
          + "count; check that their outputs agree; print each one's median latency (p10, p90) "
          + "and the ratio, and for a single MatMul/Gemm/Conv the GFLOP/s and %% of the fp32 peak.",
      "Inputs: NAME.input.npy beside NAME.onnx when the model has one input and that file exists, "
          + "else seeded random tensors (symbolic dims 1)."
    })
public final class BenchMain implements Callable<Integer> {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE_ERROR = 2;
  static final int INTERNAL_ERROR = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  boolean help;

  @Parameters(arity = "0..1", paramLabel = "MODEL",
      description = "A model (.onnx or .kiln), or a synthetic one: matmul:MxKxN, "
          + "conv:CxHxW:FxKHxKW (batch 1, stride 1, padding KH/2 and KW/2).")
  String model;

  @Option(names = "--all", paramLabel = "DIR",
      description = "Benchmark every .onnx model in DIR and print one markdown table.")
  Path allDirectory;

  @Option(names = "--threads", paramLabel = "T", defaultValue = "1",
      description = "Intra-op threads of both engines (default 1).")
  int threads;

  @Option(names = "--warmup", paramLabel = "N", defaultValue = "10",
      description = "Untimed runs of each engine first (default 10).")
  int warmup;

  @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "2",
      description = "...and at least S seconds of them (default 2): Kiln's generated code needs "
          + "many runs to reach the JIT's optimizing compiler.")
  double warmupSeconds;

  @Option(names = "--runs", paramLabel = "N", defaultValue = "50",
      description = "Timed runs of each engine (default 50).")
  int runs;

  @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "compiled",
      description = "Kiln's engine: compiled (default) or interpreter.")
  EngineName engine;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
      description = "Seed of random inputs (default 0).")
  long seed;

  @Option(names = "--tolerance", paramLabel = "X", defaultValue = "1e-4",
      description = "Largest max-abs error, relative to the output's max |value|, at which the "
          + "outputs agree (default 1e-4).")
  double tolerance;

  /** Kiln's engines by their command-line names (as {@code kiln run --engine}). */
  enum EngineName {
    compiled(ModelOptions.Engine.COMPILED),
    interpreter(ModelOptions.Engine.INTERPRETER);

    final ModelOptions.Engine engine;

    EngineName(ModelOptions.Engine engine) {
      this.engine = engine;
    }
  }

  public static void main(String[] args) {
    System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs the command writing to the given streams and returns its exit code, without exiting. */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new BenchMain());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExitCodeExceptionMapper(e -> USAGE_ERROR);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof UserException || e instanceof UncheckedIOException) {
        err.println("kiln bench: error: " + e.getMessage());
        return FAILED;
      }
      err.println("kiln bench: internal error (please report it with the input that caused it): " + e);
      e.printStackTrace(err);
      return INTERNAL_ERROR;
    });
    int code = cli.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  @Override
  public Integer call() throws IOException {
    if ((model == null) == (allDirectory == null)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          model == null ? "give a MODEL or --all DIR" : "give either a MODEL or --all DIR, not both");
    }
    BenchSettings settings;
    try {
      settings = new BenchSettings(threads, warmup, warmupSeconds, runs, engine.engine, seed,
          tolerance);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    if (model != null && SyntheticModels.isSpec(model)) {
      try {
        SyntheticModels.graph(model);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    Path scratch = ModelBench.createScratch();
    try {
      return model != null ? benchOne(out, settings, scratch) : benchAll(out, settings, scratch);
    } finally {
      deleteTree(scratch);
    }
  }

  private int benchOne(PrintWriter out, BenchSettings settings, Path scratch) throws IOException {
    if (!SyntheticModels.isSpec(model) && !Files.isRegularFile(Path.of(model))) {
      throw new UserException("no such file: " + model);
    }
    BenchResult result = new ModelBench(settings, scratch).run(model);
    BenchReport.printSettings(out, settings);
    Optional<FmaPeak> peak = Optional.empty();
    if (result.flops().isPresent()) {
      peak = Optional.of(FmaPeak.measure(settings.threads()));
      BenchReport.printPeak(out, peak.get());
    }
    BenchReport.printOne(out, result, peak);
    return succeeded(result) ? OK : FAILED;
  }

  private int benchAll(PrintWriter out, BenchSettings settings, Path scratch) throws IOException {
    List<Path> models = modelsIn(allDirectory);
    PrintWriter progress = spec.commandLine().getErr();
    FmaPeak peak = FmaPeak.measure(settings.threads());
    List<BenchResult> results = new ArrayList<>();
    ModelBench bench = new ModelBench(settings, scratch);
    for (Path file : models) {
      BenchResult r = bench.runFile(file, file.getFileName().toString());
      progress.printf("%s: Kiln %s, ONNX Runtime %s%n", r.model(),
          r.kiln().latency().map(l -> BenchReport.millis(l.medianMillis()) + " ms").orElse("failed"),
          r.ort().latency().map(l -> BenchReport.millis(l.medianMillis()) + " ms").orElse("failed"));
      progress.flush();
      results.add(r);
    }
    BenchReport.printSettings(out, settings);
    BenchReport.printPeak(out, peak);
    out.print(BenchReport.table(results, Optional.of(peak)).render());
    return results.stream().allMatch(r -> succeeded(r) || skippedByKiln(r)) ? OK : FAILED;
  }

  /**
   * A model Kiln cannot load (e.g. an operator it has no kernel for, such as MatMulInteger) is
   * skipped in a directory run: the table says so and why, and the exit code does not fail.
   */
  private static boolean skippedByKiln(BenchResult r) {
    return r.kiln().failure().map(f -> f.startsWith("cannot load: ")).orElse(false) && r.ort().succeeded();
  }

  private static boolean succeeded(BenchResult r) {
    return r.kiln().succeeded() && r.ort().succeeded() && r.outputsAgree();
  }

  /**
   * The .onnx files of a directory: networks first, then the MatMul and Conv kernels, then the
   * rest, each group by name.
   */
  static List<Path> modelsIn(Path directory) throws IOException {
    if (!Files.isDirectory(directory)) {
      throw new UserException("not a directory: " + directory);
    }
    List<Path> models;
    try (Stream<Path> files = Files.list(directory)) {
      models = files.filter(f -> f.getFileName().toString().endsWith(".onnx"))
          .sorted(Comparator.comparingInt((Path f) -> group(f.getFileName().toString()))
              .thenComparing(f -> f.getFileName().toString()))
          .toList();
    }
    if (models.isEmpty()) {
      throw new UserException("no .onnx models in " + directory);
    }
    return models;
  }

  private static int group(String name) {
    if (name.startsWith("matmul_")) {
      return 1;
    }
    if (name.startsWith("conv_")) {
      return 2;
    }
    if (name.startsWith("matmulinteger") || name.startsWith("qlinear")) {
      return 3;
    }
    return 0;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** A user's mistake: printed as one line, exit code 1. */
  static final class UserException extends RuntimeException {
    UserException(String message) {
      super(message);
    }
  }
}
