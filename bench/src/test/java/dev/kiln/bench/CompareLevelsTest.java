package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.ModelOptions;
import dev.kiln.api.Passes;
import dev.kiln.ir.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln bench --compare-levels}: the counts, the table, the agreement check and the command
 * line. Nothing here depends on how fast anything runs (the latencies in the table tests are made
 * up).
 */
class CompareLevelsTest {
  @TempDir Path dir;

  /** MatMul, bias Add and Clip: one FusedMatMul at -O3, three nodes at -O0. */
  static final String LINEAR = """
      model linear(%x: f32[N, 4]) -> (%y: f32[N, 2]) {
        const %w: f32[4, 2] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
        const %b: f32[2] = [0.1, 0.2]
        const %alpha: f32[] = -1.0
        const %beta: f32[] = 1.0
        %p = MatMul(%x, %w)
        %a = Add(%p, %b)
        %y = Clip(%a, %alpha, %beta)
      }
      """;

  private Path linear() throws IOException {
    Path model = dir.resolve("linear.kiln");
    Files.writeString(model, LINEAR);
    return model;
  }

  private static LatencyStats millis(double median) {
    long ns = (long) (median * 1e6);
    return LatencyStats.of(new long[] {ns, ns, ns});
  }

  private static LevelFigures ran(int level, int nodes, int kernels, double medianMillis) {
    return new LevelFigures(level, OptionalInt.of(nodes), OptionalInt.of(kernels),
        Optional.of(millis(medianMillis)), Optional.empty());
  }

  private static LevelComparison comparison(LevelFigures low, LevelFigures high, double error) {
    return new LevelComparison("m.onnx", "random, seed 0", low, high,
        List.of(new Agreement("y", error, 1.0, 1.0)), Optional.empty());
  }

  @Test
  void theSpeedupIsTheLowMedianOverTheHighMedian() {
    LevelComparison c = comparison(ran(0, 10, 12, 8.0), ran(3, 4, 5, 2.0), 1e-7);
    assertEquals(4.0, c.speedup().getAsDouble(), 1e-9);
    assertEquals(1e-7, c.worstRelativeError(), 1e-15);
    assertTrue(c.succeeded(1e-4));
    assertFalse(comparison(ran(0, 1, 1, 1), ran(3, 1, 1, 1), 1e-3).succeeded(1e-4));
    assertTrue(comparison(ran(0, 1, 1, 1), LevelFigures.failed(3, "cannot run: boom"), 0).speedup().isEmpty());
  }

  @Test
  void theTableHasARowPerModelWithCountsMediansAndSpeedup() {
    LevelComparison good = comparison(ran(0, 64, 70, 20.0), ran(3, 33, 35, 8.0), 2e-7);
    LevelComparison bad = new LevelComparison("broken.onnx", "none",
        LevelFigures.failed(0, "cannot load: bad\nsecond line"), LevelFigures.failed(3, "cannot load: bad"),
        List.of(), Optional.of("not compared: Kiln cannot load the model"));
    List<String> lines = LevelReport.table(List.of(good, bad), 1e-4).render().lines().toList();
    assertTrue(lines.get(0).startsWith("| model       | graph nodes, -O0 → -O3 | kernels, -O0 → -O3 "
        + "| Kiln ms -O0 | Kiln ms -O3 | speedup (-O0 / -O3) | -O3 vs -O0 max rel. error | note "), lines.get(0));
    assertTrue(lines.get(2).startsWith("| m.onnx      | 64 → 33                | 70 → 35            | 20.00       "
        + "| 8.00        | 2.50                | 2.0e-07                   |     "), lines.get(2));
    assertTrue(lines.get(3).startsWith("| broken.onnx | — → —                  | — → —              "
        + "| failed      | failed      | —                   | —  "), lines.get(3));
    assertTrue(lines.get(3).contains("-O0: cannot load: bad; -O3: cannot load: bad"), lines.get(3));
  }

  @Test
  void disagreeingOutputsAreNoted() {
    LevelComparison c = comparison(ran(0, 3, 3, 1), ran(3, 1, 1, 1), 0.5);
    assertEquals("outputs disagree (tolerance 1.0E-4)", LevelReport.note(c, 1e-4));
    assertEquals("", LevelReport.note(c, 1.0));
  }

  @Test
  void theGraphPartOfAPresetStopsBeforeLowering() {
    var o3 = Passes.pipeline(ModelOptions.defaults().withOptimizationLevel(3));
    var part = LevelBench.graphPart(o3);
    List<String> names = part.passes().stream().map(p -> p.info().argument()).toList();
    assertEquals("bind-shapes", names.getFirst());
    assertTrue(names.contains("fuse-epilogue"), names.toString());
    assertFalse(names.contains("lower-graph-to-loops"), names.toString());
    assertEquals(List.of("bind-shapes"), LevelBench.graphPart(
        Passes.pipeline(ModelOptions.defaults().withOptimizationLevel(0))).passes().stream()
        .map(p -> p.info().argument()).toList());
  }

  @Test
  void outputsAreComparedByNameAndShape() {
    Map<String, Tensor> a = new LinkedHashMap<>();
    a.put("y", Tensor.ofFloats(new long[] {2}, 1, 2));
    Map<String, Tensor> b = new LinkedHashMap<>();
    b.put("y", Tensor.ofFloats(new long[] {2}, 1, 2.5f));
    List<Agreement> agreements = new ArrayList<>();
    assertEquals(Optional.empty(), LevelBench.compare(a, b, agreements));
    assertEquals(0.2, agreements.getFirst().relativeError(), 1e-6);
    Map<String, Tensor> c = Map.of("y", Tensor.ofFloats(new long[] {1, 2}, 1, 2));
    assertTrue(LevelBench.compare(c, b, new ArrayList<>()).orElseThrow().contains("has shape [1, 2]"));
    Map<String, Tensor> d = Map.of("z", Tensor.ofFloats(new long[] {2}, 1, 2));
    assertTrue(LevelBench.compare(d, b, new ArrayList<>()).orElseThrow().contains("different outputs"));
  }

  @Test
  void interleavedTimingRunsTheEnginesInTurns() throws Exception {
    List<String> calls = new ArrayList<>();
    class Recording implements EngineRunner {
      final String name;

      Recording(String name) {
        this.name = name;
      }

      public String name() {
        return name;
      }

      public Map<String, Tensor> outputs() {
        return Map.of();
      }

      public void runOnce() {
        calls.add(name);
      }

      public void close() {}
    }
    BenchSettings oneWarmUpRunTwoTimed = new BenchSettings(1, 1, 0, 0, 2, ModelOptions.Engine.COMPILED, 0, 1e-4, 3);
    List<TimedRuns> timed = Timing.measureInterleaved(List.of(new Recording("a"), new Recording("b")),
        oneWarmUpRunTwoTimed);
    assertEquals(List.of("a", "b", "a", "b", "a", "b"), calls);
    assertEquals(2, timed.size());
    assertEquals(2, timed.get(1).latency().runs());
    assertEquals(1, timed.get(1).warmUp().runs());
  }

  @Test
  void theCommandCountsFusedNodesAndChecksTheOutputs() throws IOException {
    Path model = linear();
    BenchMainTest.Run r = BenchMainTest.bench("--compare-levels", model.toString(), "matmul:4x8x2",
        "--warmup", "0", "--runs", "1");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().startsWith("Kiln alone, -O3 against -O0: threads 1, a fixed warm-up of 0 s (at least "
        + "0 runs unless the time is up first) + 1 timed runs each, engine compiled\n"), r.out());
    String row = r.out().lines().filter(l -> l.startsWith("| linear.kiln")).findFirst().orElseThrow();
    assertTrue(row.startsWith("| linear.kiln  | 3 → 1 "), row);
    assertTrue(row.endsWith("|      |"), row);
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("| matmul:4x8x2 | 1 → 1 ")), r.out());
    assertTrue(r.err().contains("linear.kiln: speedup "), r.err());
  }

  @Test
  void otherLevelsCanBeCompared() throws IOException {
    BenchMainTest.Run r = BenchMainTest.bench("--compare-levels", linear().toString(), "--levels", "1,2",
        "--warmup", "0", "--runs", "1", "--engine", "interpreter");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("| graph nodes, -O1 → -O2 |"), r.out());
    assertTrue(r.out().contains("| linear.kiln | 3 → 3 "), r.out());
  }

  @Test
  void badLevelsAndSeveralModelsWithoutTheOptionAreUsageErrors() throws IOException {
    for (String levels : List.of("3,0", "0", "0,4", "2,2", "0,1,3")) {
      BenchMainTest.Run r = BenchMainTest.bench("--compare-levels", "matmul:2x2x2", "--levels", levels);
      assertEquals(2, r.code(), levels);
      assertTrue(r.err().contains("--levels takes two optimization levels from 0 to 3, the lower first"),
          r.err());
    }
    BenchMainTest.Run several = BenchMainTest.bench("matmul:2x2x2", "matmul:3x3x3");
    assertEquals(2, several.code());
    assertTrue(several.err().contains("give one MODEL (several only with --compare-levels), got 2"),
        several.err());
  }

  @Test
  void aMissingModelIsNamedAndAModelKilnCannotLoadFailsTheRun() throws IOException {
    BenchMainTest.Run missing = BenchMainTest.bench("--compare-levels", dir.resolve("nope.kiln").toString());
    assertEquals(1, missing.code());
    assertEquals("kiln bench: error: no such file: " + dir.resolve("nope.kiln") + "\n", missing.err());
    Path broken = dir.resolve("broken.kiln");
    Files.writeString(broken, "model broken(%x: f32[2]) -> (%y: f32[2]) {\n  %y = NoSuchOp(%x)\n}\n");
    BenchMainTest.Run r = BenchMainTest.bench("--compare-levels", broken.toString(), "--runs", "1");
    assertEquals(1, r.code(), r.out() + r.err());
    String row = r.out().lines().filter(l -> l.startsWith("| broken.kiln")).findFirst().orElseThrow();
    assertTrue(row.contains("| failed      | failed      |"), row);
    assertTrue(row.contains("-O0: cannot load: "), row);
  }
}
