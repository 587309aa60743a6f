package dev.kiln.tests;

import static dev.kiln.tests.BlockedLayoutDifferentialTest.assertClose;
import static dev.kiln.tests.BlockedLayoutDifferentialTest.depthwise;
import static dev.kiln.tests.BlockedLayoutDifferentialTest.model;
import static dev.kiln.tests.CompiledEngineTest.compiled;
import static dev.kiln.tests.CompiledEngineTest.randomInputs;

import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.api.ModelOptions;
import dev.kiln.ir.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Depthwise (and max-pool) rows narrower than two groups of 4 outputs computed as one group of
 * their whole width ({@code -Dkiln.nchwc.wholeRow}, on by default), compiled at -O3 on 1, 2 and 3
 * threads, with the switch on and off, against the reference interpreter: MobileNetV2's 7x7 at
 * stride 1 (bordered) and stride 2 (clipped, interior runs of 6), widths 2 to 7, odd channel
 * counts (a partial last block), a residual (no recomputed outputs), a 5x5 window and relu6.
 */
class DepthwiseWholeRowTest {
  @TempDir
  static Path dir;

  static List<BlockedLayoutDifferentialTest.Case> cases() {
    return List.of(
        depthwise("20 ch at 7x7, relu6", 20, 7, 7, "pads = [1, 1, 1, 1]", "%y = Clip(%d, %lo, %hi)\n"),
        depthwise("33 ch at 13x13 stride 2, relu6", 33, 13, 13, "pads = [1, 1, 1, 1], strides = [2, 2]",
            "%y = Clip(%d, %lo, %hi)\n"),
        depthwise("17 ch at 14x14 stride 2", 17, 14, 14, "pads = [1, 1, 1, 1], strides = [2, 2]", null),
        depthwise("24 ch at 7x7, residual and relu", 24, 7, 7, "pads = [1, 1, 1, 1]",
            "%a = Add(%d, %x)\n%y = Relu(%a)\n"),
        depthwise("16 ch at 6x5", 16, 6, 5, "pads = [1, 1, 1, 1]", null),
        depthwise("40 ch at 14x14, relu6", 40, 14, 14, "pads = [1, 1, 1, 1]", "%y = Clip(%d, %lo, %hi)\n"),
        depthwise("24 ch at 9x12, residual", 24, 9, 12, "pads = [1, 1, 1, 1]", "%y = Add(%d, %x)\n"),
        depthwise("9 ch at 4x3, no padding", 9, 4, 3, "pads = [0, 0, 0, 0]", null),
        depthwise("5 ch 5x5 pad 2 at 7x9", 5, 7, 9, "pads = [2, 2, 2, 2]", null));
  }

  @TestFactory
  Stream<DynamicTest> wholeRowsAndOneOutputAtATimeComputeAsTheInterpreter() {
    return cases().stream().flatMap(c -> Stream.of("true", "false").flatMap(whole -> Stream.of(1, 2, 3).map(
        threads -> DynamicTest.dynamicTest(c.name() + ", wholeRow " + whole + ", " + threads + " threads",
            () -> check(c, whole, threads)))));
  }

  private static void check(BlockedLayoutDifferentialTest.Case c, String whole, int threads) {
    Path file = dir.resolve(c.name().replaceAll("\\W+", "_") + ".kiln");
    String before = System.getProperty("kiln.nchwc.wholeRow");
    try {
      Files.writeString(file, model(c));
      System.setProperty("kiln.nchwc.wholeRow", whole);
      Model reference = Kiln.load(file, ModelOptions.defaults().withEngine(ModelOptions.Engine.INTERPRETER));
      Model optimized = Kiln.load(file, compiled(threads).withOptimizationLevel(3));
      for (long n : new long[] {1, 2}) {
        Map<String, Tensor> in = randomInputs(reference, n, 31 + n);
        assertClose(c.name() + " N=" + n, reference.run(in), optimized.run(in));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (before == null) {
        System.clearProperty("kiln.nchwc.wholeRow");
      } else {
        System.setProperty("kiln.nchwc.wholeRow", before);
      }
    }
  }
}
