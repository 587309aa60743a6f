package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.npy.Npy;
import dev.kiln.frontend.onnx.OnnxModels;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command end to end on tiny models the test writes itself. Nothing here depends on how fast
 * anything runs: only on what is printed and the exit code.
 */
class BenchMainTest {
  @TempDir Path dir;

  record Run(int code, String out, String err) {}

  /**
   * Runs the command; with a fixed warm-up of --warmup runs (no least time, no settling: a
   * settling warm-up takes as long as the JIT does) unless the arguments set its times.
   */
  static Run bench(String... args) {
    List<String> given = List.of(args);
    if (args.length > 0 && !given.contains("--help")) {
      List<String> withArgs = new java.util.ArrayList<>(given);
      if (!given.contains("--warmup-seconds")) {
        withArgs.addAll(List.of("--warmup-seconds", "0"));
        if (!given.contains("--max-warmup-seconds")) {
          withArgs.addAll(List.of("--max-warmup-seconds", "0"));
        }
      }
      args = withArgs.toArray(String[]::new);
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BenchMain.execute(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void helpPrintsTheUsageCleanly() {
    // picocli warns on System.err (not the command's stream) about a description it cannot format.
    java.io.PrintStream systemErr = System.err;
    java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
    Run r;
    try {
      System.setErr(new java.io.PrintStream(warnings, true, java.nio.charset.StandardCharsets.UTF_8));
      r = bench("--help");
    } finally {
      System.setErr(systemErr);
    }
    assertEquals("", warnings.toString(java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(0, r.code());
    assertTrue(r.out().startsWith("Usage: kiln bench "), r.out());
    assertTrue(r.out().contains("GFLOP/s and % of the fp32 peak."), r.out());
    assertEquals("", r.err());
  }

  @Test
  void aModelOrADirectoryIsRequired() {
    Run r = bench();
    assertEquals(2, r.code());
    assertTrue(r.err().contains("give a MODEL or --all DIR"), r.err());
  }

  @Test
  void aModelAndADirectoryTogetherAreAnError() {
    Run r = bench("m.onnx", "--all", dir.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("give either a MODEL or --all DIR, not both"), r.err());
  }

  @Test
  void countsOutOfRangeAreUsageErrors() {
    Run threads = bench("matmul:2x2x2", "--threads", "0");
    assertEquals(2, threads.code());
    assertTrue(threads.err().contains("--threads must be at least 1, got 0"), threads.err());
    Run runs = bench("matmul:2x2x2", "--runs", "0");
    assertEquals(2, runs.code());
    assertTrue(runs.err().contains("--runs must be at least 1, got 0"), runs.err());
    Run level = bench("matmul:2x2x2", "-O7");
    assertEquals(2, level.code());
    assertTrue(level.err().contains("-O takes a level from 0 to 3, got 7"), level.err());
    Run warmup = bench("matmul:2x2x2", "--warmup", "-1");
    assertEquals(2, warmup.code());
    assertTrue(warmup.err().contains("--warmup must be 0 or more, got -1"), warmup.err());
    Run seconds = bench("matmul:2x2x2", "--warmup-seconds", "-1");
    assertEquals(2, seconds.code());
    assertTrue(seconds.err().contains("--warmup-seconds must be between 0 and 3600, got -1.0"),
        seconds.err());
  }

  @Test
  void theWarmUpCapMustBeAtLeastItsLeastTime() {
    Run negative = bench("matmul:2x2x2", "--max-warmup-seconds", "-1");
    assertEquals(2, negative.code());
    assertTrue(negative.err().contains("--max-warmup-seconds must be between 0 and 3600, got -1.0"),
        negative.err());
    Run tooLong = bench("matmul:2x2x2", "--max-warmup-seconds", "4000");
    assertEquals(2, tooLong.code());
    assertTrue(tooLong.err().contains("--max-warmup-seconds must be between 0 and 3600, got 4000.0"),
        tooLong.err());
    Run nan = bench("matmul:2x2x2", "--max-warmup-seconds", "NaN");
    assertEquals(2, nan.code());
    assertTrue(nan.err().contains("--max-warmup-seconds must be between 0 and 3600, got NaN"), nan.err());
    Run below = bench("matmul:2x2x2", "--warmup-seconds", "10", "--max-warmup-seconds", "5");
    assertEquals(2, below.code());
    assertTrue(below.err().contains("--max-warmup-seconds (5.0) must be at least --warmup-seconds (10.0): "
        + "the cap of the warm-up cannot be shorter than its least time"), below.err());
    Run word = bench("matmul:2x2x2", "--max-warmup-seconds", "soon");
    assertEquals(2, word.code());
    assertTrue(word.err().contains("'soon' is not a double"), word.err());
  }

  @Test
  void withoutACapTheWarmUpSettlesForAtMostAMinuteOrItsLeastTime() {
    BenchMain defaults = new BenchMain();
    new picocli.CommandLine(defaults).parseArgs("m.onnx");
    assertEquals(null, defaults.settingsOptions.maxWarmupSeconds);
    assertEquals(2.0, defaults.settingsOptions.warmupSeconds);
    assertEquals(10, defaults.settingsOptions.warmup);
    assertEquals(60.0, BenchSettings.DEFAULT_MAX_WARMUP_SECONDS);
    BenchSettings settled = new BenchSettings(1, 10, 2, 60, 5, dev.kiln.api.ModelOptions.Engine.COMPILED, 0, 1e-4, 3);
    assertEquals("warm-up until the timings settle (at least 10 runs and 2 s, at most 60 s)",
        BenchReport.warmUpRule(settled));
    BenchSettings fixed = new BenchSettings(1, 10, 2.5, 2.5, 5, dev.kiln.api.ModelOptions.Engine.COMPILED, 0, 1e-4, 3);
    assertEquals("a fixed warm-up of 2.5 s (at least 10 runs unless the time is up first)",
        BenchReport.warmUpRule(fixed));
  }

  @Test
  void figuresThatMayNotBeSteadyStateAreSaidSo() {
    BenchSettings s = new BenchSettings(2, 10, 2, 60, 30, dev.kiln.api.ModelOptions.Engine.COMPILED, 0, 1e-4, 3);
    LatencyStats tenMillis = new LatencyStats(30, 10e6, 9e6, 11e6);
    // Kiln: reached the cap, and the JIT compiled 340 ms in 300 ms of timed runs; ORT: settled, quiet.
    EngineResult kiln = EngineResult.ran("kiln compiled", new TimedRuns(
        new dev.kiln.runtime.compiled.WarmUp(4000, 60_000_000_000L, 900_000_000L, 10_000_000L, 12_000_000L,
            21000, false), tenMillis, 340), 900);
    EngineResult ort = EngineResult.ran("onnxruntime 1.23.2", new TimedRuns(
        new dev.kiln.runtime.compiled.WarmUp(300, 2_100_000_000L, 20_000_000L, 7_000_000L, 7_000_000L, 2, true),
        tenMillis, 2), 20);
    BenchResult r = new BenchResult("m.onnx", "random", s, java.util.OptionalLong.empty(), kiln, ort, List.of(),
        Optional.of("not compared"));
    StringWriter text = new StringWriter();
    PrintWriter out = new PrintWriter(text);
    BenchReport.printOne(out, r, Optional.empty());
    out.flush();
    assertTrue(text.toString().contains("| engine             | median ms | p10 ms | p90 ms | first run ms "
        + "| warm-up                              | JIT ms while timed |"), text.toString());
    assertTrue(text.toString().contains("| 60.0 s, 4000 runs, NOT settled (cap) | 340                |"),
        text.toString());
    assertTrue(text.toString().contains("| 2.1 s, 300 runs, settled             | 2                  |"),
        text.toString());
    assertTrue(text.toString().contains("kiln compiled: NOT steady-state: its warm-up reached the 60 s cap "
        + "before its timings settled; the JIT compiled for 340 ms during its 30 timed runs (300 ms of runs)\n"),
        text.toString());
    assertTrue(!text.toString().contains("onnxruntime 1.23.2: NOT steady-state"), text.toString());
    String row = BenchReport.table(List.of(r), Optional.empty()).render().lines()
        .filter(l -> l.startsWith("| m.onnx")).findFirst().orElseThrow();
    assertTrue(row.contains("| 60.0 s NOT settled, JIT 340 ms | 2.1 s settled, JIT 2 ms |"), row);
  }

  @Test
  void profilePrintsTheKernelsThatTookTheMostTime() {
    Run r = bench("conv:2x6x6:3x3x3", "--warmup", "1", "--runs", "2", "--profile", "--profile-top", "1");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("kernels, "), r.out());
    assertTrue(r.out().contains("ms per run in kernels (wall clock, 2 runs); the top 1:"), r.out());
    assertTrue(r.out().contains("| share "), r.out());
    assertTrue(r.out().contains("Conv node"), r.out());
    assertTrue(r.out().contains("ms per run in all (mean), "), r.out());
    assertTrue(r.out().contains(" ms outside kernels"), r.out());
    assertTrue(r.out().contains("profile: beside ONNX Runtime's own profile"), r.out());
  }

  @Test
  void profilePutsOrtNodesBesideTheKernelsThatComputeTheSameNodes() throws IOException {
    Path model = dir.resolve("named.onnx");
    GraphBuilder b = Graph.builder("named");
    Value x = b.input("x", TensorType.of(DType.F32, 8, 16));
    Value w = b.constant("w", Tensor.ofFloats(new long[] {16, 16}, new float[256]));
    Value mm = new Value("mm_out", TensorType.of(DType.F32, 8, 16));
    Value y = new Value("y", TensorType.of(DType.F32, 8, 16));
    b.addNode(dev.kiln.ir.graph.Node.of("MatMul", List.of(x, w), List.of(mm), Attributes.EMPTY)
        .withName("the_matmul"));
    b.addNode(dev.kiln.ir.graph.Node.of("Relu", mm, y).withName("the_relu"));
    b.output(y);
    OnnxModels.write(new KilnModel(b.build(), Optional.empty()), model);

    Run r = bench(model.toString(), "--warmup", "1", "--runs", "3", "--profile");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("profile: beside ONNX Runtime's own profile"), r.out());
    // The Kiln kernel that names the matmul has ONNX Runtime's matmul beside it, with a ratio.
    assertTrue(r.out().lines().anyMatch(l -> l.contains("node 'the_matmul'") && l.contains("MatMul 'the_matmul'")),
        r.out());
    assertTrue(r.out().contains("profile: per run, Kiln's kernels "), r.out());
  }

  @Test
  void profileOnTwoThreadsSaysWhatBecameOfTheParallelLoops() {
    // A GEMM large enough that its loops are split (>= kiln.minParallelMicros of work each).
    Run r = bench("matmul:192x192x192", "--threads", "2", "--warmup", "1", "--runs", "2", "--profile");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("profile: parallel loops per run: "), r.out());
    assertTrue(r.out().contains(" on the caller as too small to split ("), r.out());
    assertTrue(r.out().contains("profile: split loops: a worker started "), r.out());
    assertTrue(r.out().contains(" chunks per run no worker had started"), r.out());
  }

  @Test
  void profileTakesOneModelAndAPositiveTop() {
    Run all = bench("--all", dir.toString(), "--profile");
    assertEquals(2, all.code());
    assertTrue(all.err().contains("--profile profiles one MODEL; it does not go with --all or --compare-levels"),
        all.err());
    Run top = bench("matmul:2x2x2", "--profile", "--profile-top", "0");
    assertEquals(2, top.code());
    assertTrue(top.err().contains("--profile-top must be at least 1, got 0"), top.err());
  }

  /**
   * --interleave times both engines in alternating blocks of --runs runs and prints each block's
   * ratio, on one thread and on two; with --all or a negative count it is a usage error.
   */
  @Test
  void interleaveTimesTheEnginesInAlternatingBlocks() {
    Run r = bench("matmul:8x16x4", "--warmup", "1", "--runs", "3", "--interleave", "4");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("cosine 1.0000000: agree"), r.out());
    assertTrue(r.out().contains("interleaved: 4 blocks of 3 runs per engine (Kiln's, then ONNX "
        + "Runtime's; 12 timed runs each); Kiln / ONNX Runtime per block: median "), r.out());
    String perBlock = r.out().lines().filter(l -> l.startsWith("  per block: ")).findFirst()
        .orElseThrow(() -> new AssertionError(r.out()));
    assertEquals(4, perBlock.substring("  per block: ".length()).split(" ").length, perBlock);

    // On two threads too (with a pause after each block).
    Run twoThreads = bench("matmul:8x16x4", "--threads", "2", "--warmup", "1", "--runs", "2",
        "--interleave", "2");
    assertEquals(0, twoThreads.code(), twoThreads.out() + twoThreads.err());
    assertTrue(twoThreads.out().contains("interleaved: 2 blocks of 2 runs per engine"), twoThreads.out());
    assertTrue(twoThreads.out().contains("on several threads the first runs after each pause"),
        twoThreads.out());
    assertFalse(r.out().contains("the first runs after each pause"), r.out());
    Run negative = bench("matmul:8x16x4", "--interleave", "-1");
    assertEquals(2, negative.code());
    assertTrue(negative.err().contains("--interleave takes a number of blocks, at least 1, got -1"),
        negative.err());
    Run all = bench("--all", dir.toString(), "--interleave", "2");
    assertEquals(2, all.code());
    assertTrue(all.err().contains("--interleave times one MODEL"), all.err());
  }

  @Test
  void anUnknownEngineIsAUsageError() {
    Run r = bench("matmul:2x2x2", "--engine", "fast");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--engine"), r.err());
  }

  @Test
  void aMalformedSyntheticModelIsAUsageError() {
    Run r = bench("matmul:2x2");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("'matmul:2x2' is not a synthetic model: expected matmul:MxKxN"), r.err());
  }

  @Test
  void aMissingFileOrDirectoryIsNamed() {
    Run file = bench(dir.resolve("nope.onnx").toString());
    assertEquals(1, file.code());
    assertEquals("kiln bench: error: no such file: " + dir.resolve("nope.onnx") + "\n", file.err());
    Run all = bench("--all", dir.resolve("nothing").toString());
    assertEquals(1, all.code());
    assertEquals("kiln bench: error: not a directory: " + dir.resolve("nothing") + "\n", all.err());
    Run empty = bench("--all", dir.toString());
    assertEquals(1, empty.code());
    assertEquals("kiln bench: error: no .onnx models in " + dir + "\n", empty.err());
  }

  @Test
  void aSyntheticMatMulRunsOnBothEnginesAgreesAndReportsGflops() {
    Run r = bench("matmul:8x16x4", "--warmup", "1", "--runs", "3");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("threads 1 (ONNX Runtime: intra-op 1, inter-op 1, sequential, "
        + "optimization ALL), a fixed warm-up of 0 s (at least 1 runs unless the time is up first) + 3 timed "
        + "runs each, Kiln engine compiled -O3"), r.out());
    assertTrue(r.out().contains("fp32 peak (Vector API fma"), r.out());
    assertTrue(r.out().contains("model matmul:8x16x4, input random, seed 0"), r.out());
    assertTrue(r.out().contains("cosine 1.0000000: agree"), r.out());
    assertTrue(r.out().contains("| engine             | median ms | p10 ms | p90 ms | first run ms "
        + "| warm-up              | JIT ms while timed | GFLOP/s | % of peak |"), r.out());
    assertTrue(r.out().contains(" s, 1 runs, fixed "), r.out());
    assertTrue(r.out().contains("| kiln compiled "), r.out());
    assertTrue(r.out().contains("| onnxruntime 1.23.2 "), r.out());
    assertTrue(r.out().contains("Kiln / ONNX Runtime (median latency): "), r.out());
  }

  @Test
  void aKilnTextModelIsExportedForOnnxRuntimeAndUsesItsStoredInput() throws IOException {
    Path model = dir.resolve("tiny.kiln");
    Files.writeString(model, """
        model tiny(%x: f32[N, 3]) -> (%y: f32[N, 3]) {
          %y = Relu(%x)
        }
        """);
    Npy.write(dir.resolve("tiny.input.npy"), Tensor.ofFloats(new long[] {2, 3}, -1, 2, -3, 4, -5, 6));
    Run r = bench(model.toString(), "--warmup", "0", "--runs", "1", "--engine", "interpreter",
        "--threads", "2");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("model tiny.kiln, input tiny.input.npy"), r.out());
    assertTrue(r.out().contains("output 'y': max abs error 0.00 = 0.00 of max |value| 6.000"), r.out());
    assertTrue(r.out().contains("| kiln interpreter "), r.out());
    // Not a single MatMul/Gemm/Conv: no GFLOP/s column, no peak measured.
    assertTrue(!r.out().contains("GFLOP/s"), r.out());
  }

  @Test
  void allModelsOfADirectoryMakeOneTableAndAModelKilnCannotRunIsSaidSo() throws IOException {
    SyntheticModels.writeOnnx("matmul:4x8x2", dir);
    SyntheticModels.writeOnnx("conv:2x5x5:3x3x3", dir);
    writeMatMulInteger(dir.resolve("matmulinteger_tiny.onnx"));
    Run r = bench("--all", dir.toString(), "--warmup", "0", "--runs", "2");
    // A model Kiln cannot load is skipped, said so in the table, and does not fail the run.
    assertEquals(0, r.code(), r.out() + r.err());
    List<String> lines = r.out().lines().toList();
    int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("| model")).findFirst().orElseThrow());
    assertTrue(lines.get(header).contains("| Kiln median ms | ORT median ms | Kiln/ORT |"), r.out());
    assertTrue(lines.get(header).contains("| Kiln warm-up "), r.out());
    assertTrue(lines.get(header).contains("| ORT warm-up "), r.out());
    assertTrue(lines.get(header + 2).contains(" s fixed, JIT "), r.out());
    // MatMul first, then Conv, then the integer model.
    assertTrue(lines.get(header + 2).startsWith("| matmul_4x8x2.onnx "), r.out());
    assertTrue(lines.get(header + 3).startsWith("| conv_2x5x5_3x3x3.onnx "), r.out());
    String integer = lines.get(header + 4);
    assertTrue(integer.startsWith("| matmulinteger_tiny.onnx | failed "), integer);
    assertTrue(integer.contains("| skipped: Kiln cannot load: "), integer);
    assertTrue(integer.contains("MatMulInteger"), integer);
    assertEquals(header + 5, lines.size(), r.out());
    assertTrue(r.err().contains("matmul_4x8x2.onnx: Kiln "), r.err());
  }

  @Test
  void aModelNeitherEngineCanReadFailsTheRunAfterTheTable() throws IOException {
    Files.write(dir.resolve("broken.onnx"), new byte[] {1, 2, 3});
    Run r = bench("--all", dir.toString(), "--warmup", "0", "--runs", "1");
    assertEquals(1, r.code(), r.out() + r.err());
    String row = r.out().lines().filter(l -> l.startsWith("| broken.onnx")).findFirst().orElseThrow();
    assertTrue(row.contains("| failed         | failed        |"), row);
    assertTrue(row.contains("ORT cannot load: "), row);
  }

  /** An integer MatMul, which ONNX Runtime runs and Kiln has no operator for (yet). */
  private static void writeMatMulInteger(Path file) throws IOException {
    GraphBuilder b = Graph.builder("mmi");
    Value a = b.input("a", TensorType.of(DType.U8, 2, 3));
    Value w = b.constant("w", Tensor.ofLongs(DType.I8, new long[] {3, 2}, 1, -2, 3, -4, 5, -6));
    b.output(b.node("MatMulInteger", List.of(a, w), TensorType.of(DType.I32, 2, 2), Attributes.EMPTY));
    OnnxModels.write(new KilnModel(b.build(), Optional.empty()), file);
  }
}
