package dev.kiln.bench;

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
          + "else seeded random tensors (symbolic dims 1).",
      "With --compare-levels: Kiln alone at two optimization levels (--levels, default -O0 and -O3) "
          + "on each MODEL (several allowed) or every model of --all DIR: graph nodes and loop-IR "
          + "kernels at each, median latency at each and the speedup; the outputs must agree."
    })
public final class BenchMain implements Callable<Integer> {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE_ERROR = 2;
  static final int INTERNAL_ERROR = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  boolean help;

  @Parameters(arity = "0..*", paramLabel = "MODEL",
      description = "A model (.onnx or .kiln), or a synthetic one: matmul:MxKxN, "
          + "conv:CxHxW:FxKHxKW (batch 1, stride 1, padding KH/2 and KW/2). Several only with "
          + "--compare-levels.")
  List<String> models = new ArrayList<>();

  @Option(names = "--compare-levels",
      description = "Compare Kiln with itself at two optimization levels (--levels) instead of "
          + "with ONNX Runtime.")
  boolean compareLevels;

  @Option(names = "--levels", paramLabel = "LOW,HIGH", split = ",", defaultValue = "0,3",
      description = "The two levels --compare-levels compares (default 0,3: -O0 and -O3).")
  List<Integer> levels;

  @Option(names = "--all", paramLabel = "DIR",
      description = "Benchmark every .onnx model in DIR and print one markdown table.")
  Path allDirectory;

  @Option(names = "--profile",
      description = "After the timed runs, run Kiln --runs times more timing each kernel "
          + "(wall clock) and print the kernels that took the most time, with their share; "
          + "then run ONNX Runtime with its own profiler and print each Kiln kernel beside the "
          + "ONNX Runtime nodes that compute the same nodes of the model.")
  boolean profile;

  @Option(names = "--profile-top", paramLabel = "N", defaultValue = "15",
      description = "How many kernels (and rows beside ONNX Runtime) --profile prints (default 15).")
  int profileTop;

  @Option(names = "--interleave", paramLabel = "BLOCKS", defaultValue = "0",
      description = "Time the engines in BLOCKS alternating blocks of --runs runs each (Kiln's, "
          + "then ONNX Runtime's, BLOCKS times) instead of one after the other, and print Kiln / "
          + "ONNX Runtime per block: a shared machine's slow and fast phases then fall on both. "
          + "On several threads each block is followed by a pause of 100 ms, for the idle "
          + "workers of the engine that ran to stop spinning on the other's cores.")
  int interleave;

  /** The options that make the {@link BenchSettings}: threads, warm-up, runs, level, engine, ... */
  @CommandLine.Mixin SettingsOptions settingsOptions = new SettingsOptions();

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
    if (models.isEmpty() && allDirectory == null) {
      throw usageError("give a MODEL or --all DIR");
    }
    if (!models.isEmpty() && allDirectory != null && !compareLevels) {
      throw usageError("give either a MODEL or --all DIR, not both (both only with --compare-levels)");
    }
    if (models.size() > 1 && !compareLevels) {
      throw usageError("give one MODEL (several only with --compare-levels), got " + models.size());
    }
    if (levels.size() != 2 || levels.stream().anyMatch(l -> l < 0 || l > 3)
        || levels.get(0) >= levels.get(1)) {
      throw usageError(
          "--levels takes two optimization levels from 0 to 3, the lower first, e.g. 0,3; got " + levels);
    }
    if (profile && (compareLevels || allDirectory != null)) {
      throw usageError("--profile profiles one MODEL; it does not go with --all or --compare-levels");
    }
    if (profileTop < 1) {
      throw usageError("--profile-top must be at least 1, got " + profileTop);
    }
    String model = models.isEmpty() ? null : models.getFirst();
    BenchSettings settings;
    try {
      settings = settingsOptions.settings();
    } catch (IllegalArgumentException e) {
      throw usageError(e.getMessage());
    }
    if (interleave < 0) {
      throw usageError("--interleave takes a number of blocks, at least 1, got " + interleave);
    }
    if (interleave > 0 && (compareLevels || allDirectory != null)) {
      throw usageError("--interleave times one MODEL; it does not go with --all or --compare-levels");
    }

    for (String m : models) {
      if (SyntheticModels.isSpec(m)) {
        try {
          SyntheticModels.graph(m);
        } catch (IllegalArgumentException e) {
          throw usageError(e.getMessage());
        }
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    Path scratch = ModelBench.createScratch();
    try {
      if (compareLevels) {
        return compareLevels(out, settings, scratch);
      }
      return model != null ? benchOne(out, settings, model, scratch) : benchAll(out, settings, scratch);
    } finally {
      deleteTree(scratch);
    }
  }

  private int benchOne(PrintWriter out, BenchSettings settings, String model, Path scratch)
      throws IOException {
    if (!SyntheticModels.isSpec(model) && !Files.isRegularFile(Path.of(model))) {
      throw new UserException("no such file: " + model);
    }
    ModelBench bench = new ModelBench(settings, scratch, profile, interleave);
    BenchResult result = bench.run(model);
    BenchReport.printSettings(out, settings);
    Optional<FmaPeak> peak = Optional.empty();
    if (result.flops().isPresent()) {
      peak = Optional.of(FmaPeak.measure(settings.threads()));
      BenchReport.printPeak(out, peak.get());
    }
    BenchReport.printOne(out, result, peak);
    if (interleave > 0) {
      BenchReport.printBlockRatios(out, bench.blockRatios(), interleave, result);
    }
    if (profile) {
      BenchReport.printProfile(out, bench.kernelTimes(), profileTop, bench.profiledMillisPerRun(),
          bench.loopCounts());
      BenchReport.printSplitSpans(out, bench.splitSpans());
      BenchReport.printNodeComparison(out, bench.kernelTimes(), bench.ortNodeTimes(),
          bench.modelGraph(), bench.ortProfileProblem(), profileTop);
    }
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

  /** {@code --compare-levels}: Kiln at two levels on each model, one table. */
  private int compareLevels(PrintWriter out, BenchSettings settings, Path scratch) throws IOException {
    List<String> names = new ArrayList<>();
    if (allDirectory != null) {
      modelsIn(allDirectory).forEach(p -> names.add(p.toString()));
    }
    for (String m : models) {
      if (!SyntheticModels.isSpec(m) && !Files.isRegularFile(Path.of(m))) {
        throw new UserException("no such file: " + m);
      }
      names.add(m);
    }
    PrintWriter progress = spec.commandLine().getErr();
    LevelBench bench = new LevelBench(settings, levels.get(0), levels.get(1), scratch);
    List<LevelComparison> results = new ArrayList<>();
    for (String m : names) {
      LevelComparison r = bench.run(m);
      progress.printf("%s: %s%n", r.model(), r.speedup().isPresent()
          ? "speedup " + BenchReport.ratio(r.speedup().getAsDouble()) : LevelReport.note(r, settings.tolerance()));
      progress.flush();
      results.add(r);
    }
    LevelReport.printSettings(out, settings, levels.get(0), levels.get(1));
    out.print(LevelReport.table(results, settings.tolerance()).render());
    return results.stream().allMatch(r -> r.succeeded(settings.tolerance())
        || allDirectory != null && r.low().failure().map(f -> f.startsWith("cannot load: ")).orElse(false))
        ? OK : FAILED;
  }

  /** A wrong command line: picocli prints the message and the usage, and the exit code is 2. */
  private CommandLine.ParameterException usageError(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
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
