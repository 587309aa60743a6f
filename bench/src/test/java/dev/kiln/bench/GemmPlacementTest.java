package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GemmPlacementTest {
  private static String run(String... args) throws Throwable {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    GemmPlacement.run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void gemmAtEveryPlacementComputesTheProduct() throws Throwable {
    // Edges in M, N and K (M below mr takes the small-M path), operands at odd offsets; the tool
    // checks C against a scalar product after each placement.
    String out = run("gemm", "13", "37", "45", "1", "0", "0", "0", "1", "3", "5", "16", "7", "2");
    assertEquals(3, out.lines().filter(l -> l.contains(" p10 ")).count(), out);
    assertTrue(out.contains("b+3"), out);
    out = run("gemm", "1", "33", "50", "2", "0", "4", "0");
    assertEquals(1, out.lines().filter(l -> l.contains(" p10 ")).count(), out);
  }

  @Test
  void modelRoundsReportGcsAndPageFaults() throws Throwable {
    String out = run("model", "matmul:4x8x16", "1", "2");
    assertTrue(out.contains("matmul:4x8x16 round 1: p10"), out);
    assertTrue(out.contains("minor-faults"), out);
  }

  @Test
  void traceNeedsItsJvmFlag() {
    // The tests' JVM runs without -Dkiln.parallelTrace=true: the hooks are off, nothing to print.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> run("trace", "matmul:16x16x16", "2", "3"));
    assertTrue(e.getMessage().contains("-Dkiln.parallelTrace=true"), e.getMessage());
  }

  @Test
  void wrongArgumentsSayTheUsage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run("gemm", "1", "2"));
    assertTrue(e.getMessage().startsWith("usage: gemm M K N THREADS"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> run("gemm", "4", "4", "4", "1", "0", "0"));
  }

  @Test
  void minorFaultsAreCountedOnLinux() {
    long faults = GemmPlacement.minorFaults();
    assertTrue(faults > 0 || !System.getProperty("os.name").contains("Linux"), "faults " + faults);
  }
}
