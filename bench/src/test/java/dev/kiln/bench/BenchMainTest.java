package dev.kiln.bench;

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

  /** Runs the command; without a time-based warm-up unless the arguments ask for one. */
  static Run bench(String... args) {
    if (args.length > 0 && !List.of(args).contains("--warmup-seconds") && !List.of(args).contains("--help")) {
      List<String> withArgs = new java.util.ArrayList<>(List.of(args));
      withArgs.addAll(List.of("--warmup-seconds", "0"));
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
  void profilePrintsTheKernelsThatTookTheMostTime() {
    Run r = bench("conv:2x6x6:3x3x3", "--warmup", "1", "--runs", "2", "--profile", "--profile-top", "1");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("kernels, "), r.out());
    assertTrue(r.out().contains("ms per run in kernels (wall clock, 2 runs); the top 1:"), r.out());
    assertTrue(r.out().contains("| share "), r.out());
    assertTrue(r.out().contains("Conv node"), r.out());
    assertTrue(r.out().contains("ms per run in all (mean), "), r.out());
    assertTrue(r.out().contains(" ms outside kernels"), r.out());
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
        + "optimization ALL), 1 warm-up runs (at least 0 s) + 3 timed runs each, Kiln engine compiled -O3"), r.out());
    assertTrue(r.out().contains("fp32 peak (Vector API fma"), r.out());
    assertTrue(r.out().contains("model matmul:8x16x4, input random, seed 0"), r.out());
    assertTrue(r.out().contains("cosine 1.0000000: agree"), r.out());
    assertTrue(r.out().contains("| engine             | median ms | p10 ms | p90 ms | first run ms "
        + "| GFLOP/s | % of peak |"), r.out());
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
