package dev.kiln.tests;

import static dev.kiln.tests.BlockedLayoutDifferentialTest.assertClose;
import static dev.kiln.tests.BlockedLayoutDifferentialTest.depthwise;
import static dev.kiln.tests.BlockedLayoutDifferentialTest.model;
import static dev.kiln.tests.BlockedLayoutDifferentialTest.w;
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
 * The small-image stride-1 depthwise kernels, split by bands of rows (the default) and by
 * channel blocks with the zero-bordered copy made per channel block inside the parallel loop
 * ({@code -Dkiln.nchwc.borderPerBlock}) or separately, compiled at -O3 on 1, 2 and 3 threads,
 * against the reference interpreter: a partial
 * last block, several blocks, widths not a multiple of the 4 outputs per iteration, asymmetric
 * pads, a 5x5, batch 1 and 2, a residual, and MobileNetV2's expand 1x1 -> depthwise pair.
 */
class DepthwiseBorderPerBlockTest {
  @TempDir
  static Path dir;

  static List<BlockedLayoutDifferentialTest.Case> cases() {
    return List.of(
        depthwise("20 ch at 7x9, relu6", 20, 7, 9, "pads = [1, 1, 1, 1]", "%y = Clip(%d, %lo, %hi)\n"),
        depthwise("33 ch at 14x13", 33, 14, 13, "pads = [1, 1, 1, 1]", null),
        // Bands of several rows (56 interior rows: 8 bands of 7), and at stride 2.
        depthwise("16 ch at 58x9, relu6", 16, 58, 9, "pads = [1, 1, 1, 1]", "%y = Clip(%d, %lo, %hi)\n"),
        depthwise("24 ch at 37x20 stride 2", 24, 37, 20, "pads = [1, 1, 1, 1], strides = [2, 2]", null),
        depthwise("8 ch at 5x3, pads [0, 1, 1, 0]", 8, 5, 3, "pads = [0, 1, 1, 0]", null),
        depthwise("17 ch 5x5 pad 2 at 6x11", 17, 6, 11, "pads = [2, 2, 2, 2]", null),
        depthwise("24 ch at 7x7, residual and relu", 24, 7, 7, "pads = [1, 1, 1, 1]",
            "%a = Add(%d, %x)\n%y = Relu(%a)\n"),
        new BlockedLayoutDifferentialTest.Case("expand 1x1 12 -> 72, relu6, depthwise 3x3, relu6",
            "%x: f32[N, 12, 9, 10]", w("we", 72, 12, 1, 1) + w("be", 72) + w("wd", 72, 1, 3, 3) + w("bd", 72)
                + "const %lo: f32[] = 0.0\nconst %hi: f32[] = 6.0\n"
                + "%e = Conv(%x, %we, %be) {kernel_shape = [1, 1]}\n%r = Clip(%e, %lo, %hi)\n"
                + "%d = Conv(%r, %wd, %bd) {kernel_shape = [3, 3], group = 72, pads = [1, 1, 1, 1]}\n"
                + "%y = Clip(%d, %lo, %hi)\n", true));
  }

  /**
   * The split by bands of rows (the default: no bordered copy; its bands split between the
   * threads at run time, the border rows with the first and last), and by channel blocks with the
   * copy per block and separately.
   */
  @TestFactory
  Stream<DynamicTest> rowBandsAndPerBlockAndSeparateCopiesComputeAsTheInterpreter() {
    return cases().stream().flatMap(c -> Stream.of("rows", "true", "false").flatMap(perBlock -> Stream.of(1, 2, 3).map(
        threads -> DynamicTest.dynamicTest(c.name() + ", " + (perBlock.equals("rows") ? "split by rows"
            : "borderPerBlock " + perBlock) + ", " + threads + " threads", () -> check(c, perBlock, threads)))));
  }

  private static void check(BlockedLayoutDifferentialTest.Case c, String perBlock, int threads) {
    Path file = dir.resolve(c.name().replaceAll("\\W+", "_") + ".kiln");
    String before = System.getProperty("kiln.nchwc.borderPerBlock");
    try {
      Files.writeString(file, model(c));
      if (!perBlock.equals("rows")) {
        System.setProperty("kiln.nchwc.depthwiseSplit", "blocks");
        System.setProperty("kiln.nchwc.borderPerBlock", perBlock);
      }
      Model reference = Kiln.load(file, ModelOptions.defaults().withEngine(ModelOptions.Engine.INTERPRETER));
      Model optimized = Kiln.load(file, compiled(threads).withOptimizationLevel(3));
      for (long n : new long[] {1, 2}) {
        Map<String, Tensor> in = randomInputs(reference, n, 23 + n);
        assertClose(c.name() + " N=" + n, reference.run(in), optimized.run(in));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      System.clearProperty("kiln.nchwc.depthwiseSplit");
      if (before == null) {
        System.clearProperty("kiln.nchwc.borderPerBlock");
      } else {
        System.setProperty("kiln.nchwc.borderPerBlock", before);
      }
    }
  }
}
