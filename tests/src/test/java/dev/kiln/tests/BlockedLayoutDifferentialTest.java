package dev.kiln.tests;

import static dev.kiln.tests.CompiledEngineTest.compiled;
import static dev.kiln.tests.CompiledEngineTest.randomInputs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The graphs -O3's {@code assign-layout} computes in the blocked layout NCHWc (convolutions of
 * every geometry, dense and depthwise, with and without bias, constant or input weights; the
 * pools and elementwise operators that join a region; the reorders at its edges), compiled at
 * -O3, against the reference interpreter on the unoptimized graph.
 * The ONNX node tests have too few channels (1 to 3) for assign-layout to block anything, so these
 * cases use 12, 20 and 24 channels: a partial last block of 16 lanes, and several blocks. Each
 * case also checks that -O3 did block it (or, where it must not, that it did not).
 *
 * <p>Tolerance: {@code 1e-4 (1 + |expected|)}; weights are scaled by 1/sqrt(fan-in), so outputs
 * are of order 1 and f32 sums of a few hundred terms in another order stay well inside it.
 */
class BlockedLayoutDifferentialTest {
  @TempDir
  static Path dir;

  /** A case: a model body over input %x (plus %w where the weights are an input). */
  record Case(String name, String signature, String body, boolean blocked) {}

  static List<Case> cases() {
    String x12 = "%x: f32[N, 12, 13, 11]";
    String x24 = "%x: f32[N, 24, 10, 9]";
    return List.of(
        conv("3x3 pad 1, 12 -> 20", x12, 20, 12, 3, 3, "pads = [1, 1, 1, 1]"),
        conv("3x3 stride 2 asymmetric pads", x12, 20, 12, 3, 3, "pads = [0, 1, 1, 0], strides = [2, 2]"),
        conv("3x3 dilation 2 pad 2", x12, 16, 12, 3, 3, "pads = [2, 2, 2, 2], dilations = [2, 2]"),
        conv("3x3 auto_pad SAME_UPPER stride 2", x12, 20, 12, 3, 3, "auto_pad = \"SAME_UPPER\", strides = [2, 2]"),
        conv("3x3 auto_pad SAME_LOWER stride 2", x12, 20, 12, 3, 3, "auto_pad = \"SAME_LOWER\", strides = [2, 2]"),
        conv("4x4 auto_pad SAME_LOWER", x12, 20, 12, 4, 4, "auto_pad = \"SAME_LOWER\""),
        conv("3x3 auto_pad VALID", x12, 20, 12, 3, 3, "auto_pad = \"VALID\""),
        conv("1x1, 24 -> 36", x24, 36, 24, 1, 1, ""),
        conv("1x1 stride 2, 24 -> 20", x24, 20, 24, 1, 1, "strides = [2, 2]"),
        conv("5x5 pad 2, 12 -> 8", x12, 8, 12, 5, 5, "pads = [2, 2, 2, 2]"),
        conv("1x3 pad [0, 1], 12 -> 20", x12, 20, 12, 1, 3, "pads = [0, 1, 0, 1]"),
        conv("3x3 no kernel_shape attribute", x12, 20, 12, 3, 3, null),
        depthwise("depthwise 3x3 pad 1", x24, "pads = [1, 1, 1, 1]"),
        depthwise("depthwise 3x3 stride 2 pad 1", x24, "pads = [1, 1, 1, 1], strides = [2, 2]"),
        depthwise("depthwise 3x3 dilation 2 pad 2", x24, "pads = [2, 2, 2, 2], dilations = [2, 2]"),
        depthwise("depthwise 3x3 SAME_UPPER stride 2", x24, "auto_pad = \"SAME_UPPER\", strides = [2, 2]"),
        // The depthwise kernel's lane loop around its row loops: odd sizes (outputs per row not a
        // multiple of the unroll), a partial last block, stride 2, asymmetric pads, 5x5, a
        // residual (no outputs recomputed) and a clipped activation.
        depthwise("depthwise 3x3 pad 1, 20 ch at 17x23, relu6", 20, 17, 23,
            "pads = [1, 1, 1, 1]", "%y = Clip(%d, %lo, %hi)\n"),
        depthwise("depthwise 3x3 stride 2 pad 1, 40 ch at 15x13, relu", 40, 15, 13,
            "pads = [1, 1, 1, 1], strides = [2, 2]", "%y = Relu(%d)\n"),
        depthwise("depthwise 3x3 stride 2 pads [0, 0, 1, 1], 16 ch at 12x12", 16, 12, 12,
            "pads = [0, 0, 1, 1], strides = [2, 2]", null),
        depthwise("depthwise 5x5 pad 2, 24 ch at 9x11", 24, 9, 11, "pads = [2, 2, 2, 2]", null),
        depthwise("depthwise 3x3 pad 1, 20 ch at 7x7, residual add and relu", 20, 7, 7,
            "pads = [1, 1, 1, 1]", "%a = Add(%d, %x)\n%y = Relu(%a)\n"),
        depthwise("depthwise 3x3 pad 1, 8 ch at 30x29 (one partial block), residual", 8, 30, 29,
            "pads = [1, 1, 1, 1]", "%y = Add(%d, %x)\n"),
        new Case("no bias", x12,
            w("w", 20, 12, 3, 3) + "%y = Conv(%x, %w) {kernel_shape = [3, 3], pads = [1, 1, 1, 1]}\n", true),
        new Case("weights and bias as inputs", x12 + ", %w: f32[20, 12, 3, 3], %b: f32[20]",
            "%y = Conv(%x, %w, %b) {kernel_shape = [3, 3], pads = [1, 1, 1, 1]}\n", true),
        new Case("conv, batchnorm, relu (fold-batchnorm, fuse-epilogue)", x12,
            w("w", 20, 12, 3, 3) + w("b", 20) + w("s", 20) + w("t", 20) + w("m", 20) + positive("v", 20)
                + "%c = Conv(%x, %w, %b) {kernel_shape = [3, 3], pads = [1, 1, 1, 1]}\n"
                + "%n = BatchNormalization(%c, %s, %t, %m, %v) {epsilon = 1e-5}\n"
                + "%y = Relu(%n)\n", true),
        new Case("residual block: conv relu conv add relu", "%x: f32[N, 20, 9, 10]",
            w("w1", 20, 20, 3, 3) + w("b1", 20) + w("w2", 20, 20, 3, 3) + w("b2", 20)
                + "%c1 = Conv(%x, %w1, %b1) {kernel_shape = [3, 3], pads = [1, 1, 1, 1]}\n"
                + "%r1 = Relu(%c1)\n"
                + "%c2 = Conv(%r1, %w2, %b2) {kernel_shape = [3, 3], pads = [1, 1, 1, 1]}\n"
                + "%a = Add(%c2, %x)\n"
                + "%y = Relu(%a)\n", true),
        region("maxpool 3x3 stride 2 pad 1", "MaxPool", "kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1]"),
        region("maxpool 2x2 ceil_mode", "MaxPool", "kernel_shape = [2, 2], strides = [2, 2], ceil_mode = 1"),
        region("maxpool 3x3 dilation 2", "MaxPool", "kernel_shape = [3, 3], dilations = [2, 2]"),
        region("maxpool SAME_UPPER stride 2", "MaxPool", "kernel_shape = [3, 3], strides = [2, 2], auto_pad = \"SAME_UPPER\""),
        region("maxpool SAME_LOWER", "MaxPool", "kernel_shape = [2, 2], auto_pad = \"SAME_LOWER\""),
        region("maxpool asymmetric pads", "MaxPool", "kernel_shape = [3, 2], pads = [0, 1, 2, 0]"),
        region("averagepool 3x3 pad 1", "AveragePool", "kernel_shape = [3, 3], pads = [1, 1, 1, 1]"),
        region("averagepool count_include_pad", "AveragePool",
            "kernel_shape = [3, 3], pads = [1, 1, 1, 1], count_include_pad = 1"),
        region("averagepool ceil_mode stride 2", "AveragePool", "kernel_shape = [3, 3], strides = [2, 2], ceil_mode = 1"),
        region("averagepool SAME_UPPER stride 2", "AveragePool", "kernel_shape = [2, 2], strides = [2, 2], auto_pad = \"SAME_UPPER\""),
        region("averagepool asymmetric pads", "AveragePool", "kernel_shape = [2, 3], pads = [1, 0, 0, 2]"),
        region("globalaveragepool", "GlobalAveragePool", null),
        unary("leakyrelu", "%y = LeakyRelu(%c) {alpha = 0.2}\n", true),
        unary("tanh", "%y = Tanh(%c)\n", true),
        unary("neg, abs", "%n = Neg(%c)\n%y = Abs(%n)\n", true),
        unary("clip [0, 6]", "%y = Clip(%c, %lo, %hi)\n", true),
        unary("sigmoid (fused into the conv, does not keep 0: stays NCHW)", "%y = Sigmoid(%c)\n", false),
        unary("relu, then sigmoid (the region ends)", "%r = Relu(%c)\n%y = Sigmoid(%r)\n", true),
        unary("conv output used twice: an output and a relu", "%y = Relu(%c)\n%z = Identity(%c)\n", true),
        new Case("binary ops with an NCHW input of the same shape", x12 + ", %e: f32[N, 20, 13, 11]",
            w("w", 20, 12, 3, 3)
                + "%c = Conv(%x, %w) {kernel_shape = [3, 3], pads = [1, 1, 1, 1]}\n"
                + "%s = Sub(%e, %c)\n%m = Mul(%s, %c)\n%a = Max(%m, %e)\n%y = Min(%a, %c)\n", true),
        new Case("broadcast add (stays NCHW) then concat", x12,
            w("w", 20, 12, 3, 3) + w("k", 1, 20, 1, 1)
                + "%c = Conv(%x, %w) {kernel_shape = [3, 3], pads = [1, 1, 1, 1]}\n"
                + "%a = Add(%c, %k)\n%y = Concat(%a, %c) {axis = 1}\n", true),
        new Case("maxpool with indices (stays NCHW)", x12,
            w("w", 20, 12, 3, 3)
                + "%c = Conv(%x, %w) {kernel_shape = [3, 3], pads = [1, 1, 1, 1]}\n"
                + "%y, %i = MaxPool(%c) {kernel_shape = [2, 2], strides = [2, 2]}\n", true),
        new Case("3 input channels (reads its NCHW input, writes NCHWc)", "%x: f32[N, 3, 12, 12]",
            w("w", 20, 3, 3, 3) + "%y = Conv(%x, %w) {kernel_shape = [3, 3], pads = [1, 1, 1, 1]}\n", true),
        new Case("image stem: 7x7 stride 2 over 3 channels, relu, maxpool 3x3 stride 2", "%x: f32[N, 3, 23, 21]",
            w("w", 20, 3, 7, 7) + w("b", 20)
                + "%c = Conv(%x, %w, %b) {kernel_shape = [7, 7], pads = [3, 3, 3, 3], strides = [2, 2]}\n"
                + "%r = Relu(%c)\n"
                + "%y = MaxPool(%r) {kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1]}\n", true),
        new Case("grouped 2 (stays NCHW)", x12,
            w("w", 20, 6, 3, 3) + "%y = Conv(%x, %w) {kernel_shape = [3, 3], group = 2}\n", false));
  }

  private static Case conv(String name, String x, int m, int c, int kh, int kw, String attrs) {
    String a = attrs == null ? "" : "kernel_shape = [" + kh + ", " + kw + "]" + (attrs.isEmpty() ? "" : ", " + attrs);
    return new Case(name, x, w("w", m, c, kh, kw) + w("b", m)
        + "%y = Conv(%x, %w, %b)" + (a.isEmpty() ? "" : " {" + a + "}") + "\n", true);
  }

  private static Case depthwise(String name, String x, String attrs) {
    return new Case(name, x, w("w", 24, 1, 3, 3) + w("b", 24)
        + "%y = Conv(%x, %w, %b) {kernel_shape = [3, 3], group = 24, " + attrs + "}\n", true);
  }

  /**
   * A depthwise 3x3 (5x5 when the pads are 2) over {@code c} channels of {@code h x w} into %d,
   * then {@code tail} (ops reading %d, %x, and the constants %lo = 0 and %hi = 6), or %d as %y.
   */
  static Case depthwise(String name, int c, int h, int w, String attrs, String tail) {
    int k = attrs.contains("pads = [2, 2") ? 5 : 3;
    return new Case(name, "%x: f32[N, " + c + ", " + h + ", " + w + "]", w("w", c, 1, k, k) + w("b", c)
        + "const %lo: f32[] = 0.0\nconst %hi: f32[] = 6.0\n"
        + (tail == null ? "%y" : "%d") + " = Conv(%x, %w, %b) {kernel_shape = [" + k + ", " + k
        + "], group = " + c + ", " + attrs + "}\n" + (tail == null ? "" : tail), true);
  }

  /** A conv with relu, then {@code pool}: the pool joins the conv's region. */
  private static Case region(String name, String pool, String attrs) {
    return new Case(name, "%x: f32[N, 12, 13, 11]", w("w", 20, 12, 3, 3) + w("b", 20)
        + "%c = Conv(%x, %w, %b) {kernel_shape = [3, 3], pads = [1, 1, 1, 1]}\n"
        + "%r = Relu(%c)\n"
        + "%y = " + pool + "(%r)" + (attrs == null ? "" : " {" + attrs + "}") + "\n", true);
  }

  private static Case unary(String name, String ops, boolean blocked) {
    return new Case(name, "%x: f32[N, 12, 13, 11]", w("w", 20, 12, 3, 3) + w("b", 20)
        + "const %lo: f32[] = 0.0\nconst %hi: f32[] = 6.0\n"
        + "%c = Conv(%x, %w, %b) {kernel_shape = [3, 3], pads = [1, 1, 1, 1]}\n" + ops, blocked);
  }

  /** A constant of Gaussian values scaled by 1/sqrt(fan-in) (the product of all dims but the first). */
  static String w(String name, long... dims) {
    return constant(name, false, dims);
  }

  private static String positive(String name, long... dims) {
    return constant(name, true, dims);
  }

  private static String constant(String name, boolean positive, long... dims) {
    Random r = new Random(name.hashCode() * 31L + dims.length);
    long n = 1;
    long fanIn = 1;
    StringBuilder shape = new StringBuilder();
    for (int i = 0; i < dims.length; i++) {
      n *= dims[i];
      fanIn *= i == 0 ? 1 : dims[i];
      shape.append(i == 0 ? "" : ", ").append(dims[i]);
    }
    StringBuilder values = new StringBuilder();
    for (long i = 0; i < n; i++) {
      double v = r.nextGaussian() / Math.sqrt(fanIn);
      values.append(i == 0 ? "" : ", ").append((float) (positive ? 0.5 + Math.abs(v) : v));
    }
    return "const %" + name + ": f32[" + shape + "] = [" + values + "]\n";
  }

  /** The model text: outputs are the values the body defines that no other line reads. */
  static String model(Case c) {
    Matcher defs = Pattern.compile("(?m)^(%\\w+)(?:, (%\\w+))? = ").matcher(c.body());
    StringBuilder outputs = new StringBuilder();
    while (defs.find()) {
      for (int g = 1; g <= 2; g++) {
        String v = defs.group(g);
        if (v != null && !Pattern.compile(Pattern.quote(v) + "\\b[^:]").matcher(
            c.body().substring(defs.end())).find()) {
          outputs.append(outputs.isEmpty() ? "" : ", ").append(v);
        }
      }
    }
    return "kiln 1\nmodel m(" + c.signature() + ") -> (" + outputs + ") {\n" + c.body() + "}\n";
  }

  @TestFactory
  Stream<DynamicTest> o3ComputesTheBlockedGraphsAsTheInterpreter() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
      String dump = checkO3(dir, c);
      assertEquals(c.blocked(), dump.contains("Nchwc"),
          c.name() + ": assign-layout should " + (c.blocked() ? "" : "not ") + "block it:\n" + dump);
    }));
  }

  /**
   * Runs case {@code c} at -O3 against the interpreter, with batch 1 and 2; returns the graph
   * after assign-layout. (-O1 is not run: these operators at -O1 are CompiledConvTest's and
   * CompiledOperatorsTest's, and each compile costs a javac run.)
   */
  static String checkO3(Path dir, Case c) {
    Path file = dir.resolve(c.name().replaceAll("\\W+", "_") + ".kiln");
    try {
      Files.writeString(file, model(c));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    StringBuilder dump = new StringBuilder();
    ModelOptions o3 = compiled(2).withOptimizationLevel(3).withPipelineOptions(compiled(2).pipelineOptions()
        .withPrintIrAfter(List.of("assign-layout")).withDiagnostics(dump::append));
    Model reference = Kiln.load(file, ModelOptions.defaults().withEngine(ModelOptions.Engine.INTERPRETER));
    Model optimized = Kiln.load(file, o3);
    for (long n : new long[] {1, 2}) {
      Map<String, Tensor> in = randomInputs(reference, n, 17 + n);
      assertClose(c.name() + " N=" + n + " -O3 vs the interpreter", reference.run(in), optimized.run(in));
    }
    return dump.toString();
  }

  static void assertClose(String what, Map<String, Tensor> expected, Map<String, Tensor> actual) {
    assertEquals(expected.keySet(), actual.keySet(), what);
    for (String name : expected.keySet()) {
      Tensor e = expected.get(name);
      Tensor a = actual.get(name);
      assertEquals(e.type(), a.type(), what + " %" + name);
      for (long i = 0; i < e.size(); i++) {
        double x = e.getDouble(i);
        double y = a.getDouble(i);
        assertTrue(Math.abs(x - y) <= 1e-4 * (1 + Math.abs(x)) || (Double.isNaN(x) && Double.isNaN(y)),
            what + " %" + name + "[" + i + "] of " + java.util.Arrays.toString(e.shape())
                + ": expected " + x + " but got " + y);
      }
    }
  }
}
