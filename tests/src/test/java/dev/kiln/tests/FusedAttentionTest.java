package dev.kiln.tests;

import static dev.kiln.tests.CompiledEngineTest.assertClose;
import static dev.kiln.tests.CompiledEngineTest.compiled;
import static dev.kiln.tests.CompiledEngineTest.randomInputs;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.api.ModelOptions;
import dev.kiln.ir.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attention fused by {@code fuse-attention} and compiled at -O3 (the generated fused kernel where
 * rows are whole vectors, plain code elsewhere) computes what the reference interpreter computes
 * on the unoptimized graph: PyTorch's multi-head form (fused QKV projection, heads split and
 * merged) with head widths of one and two vectors and more, and cross-attention with query rows
 * that are not a whole number of row blocks (13) and odd shapes (the plain path); 1 to 3 threads.
 */
class FusedAttentionTest {
  @TempDir
  Path dir;

  /** Multi-head self-attention of {@code rows} tokens of {@code width}, as PyTorch exports it. */
  private static String selfAttention(int rows, int width, int heads) {
    int head = width / heads;
    Random r = new Random(3);
    StringBuilder w = new StringBuilder();
    for (int i = 0; i < width * 3 * width; i++) {
      w.append(i == 0 ? "" : ", ").append((float) (r.nextGaussian() / Math.sqrt(width)));
    }
    return """
        kiln 1
        model block(%x: f32[ROWS, 1, WIDTH]) -> (%y: f32[ROWS, WIDTH]) {
          const %w: f32[WIDTH, TRIPLE] = [WEIGHTS]
          const %d: f32[] = SCALE
          const %split: i64[3] = [ROWS, HEADS3, HEAD]
          const %merge: i64[2] = [ROWS, WIDTH]
          const %q0: i64[1] = [0]
          const %k0: i64[1] = [HEADS1]
          const %v0: i64[1] = [HEADS2]
          const %end: i64[1] = [HEADS3]
          %p = MatMul(%x, %w)
          %r = Reshape(%p, %split)
          %t = Transpose(%r) {perm = [1, 0, 2]}
          %q = Slice(%t, %q0, %k0, %q0)
          %k = Slice(%t, %k0, %v0, %q0)
          %v = Slice(%t, %v0, %end, %q0)
          %qs = Div(%q, %d)
          %kt = Transpose(%k) {perm = [0, 2, 1]}
          %sc = MatMul(%qs, %kt)
          %a = Softmax(%sc)
          %o = MatMul(%a, %v)
          %mt = Transpose(%o) {perm = [1, 0, 2]}
          %y = Reshape(%mt, %merge)
        }
        """.replace("ROWS", "" + rows).replace("TRIPLE", "" + 3 * width).replace("WEIGHTS", w)
        .replace("HEADS3", "" + 3 * heads).replace("HEADS2", "" + 2 * heads)
        .replace("HEADS1", "" + heads).replace("HEAD", "" + head).replace("WIDTH", "" + width)
        .replace("SCALE", "" + (float) Math.sqrt(head));
  }

  /** Cross-attention: m queries against n keys, depth d, values of dv, h heads. */
  private static String crossAttention(int h, int m, int n, int d, int dv) {
    return """
        kiln 1
        model cross(%q: f32[#H, #M, #D], %k: f32[#H, #N, #D], %v: f32[#H, #N, #E]) -> (%y: f32[#H, #M, #E]) {
          const %c: f32[] = 3.0
          %qs = Mul(%q, %c)
          %kt = Transpose(%k) {perm = [0, 2, 1]}
          %s = MatMul(%qs, %kt)
          %a = Softmax(%s)
          %y = MatMul(%a, %v)
        }
        """.replace("#E", "" + dv).replace("#H", "" + h).replace("#M", "" + m).replace("#N", "" + n)
        .replace("#D", "" + d);
  }

  private void check(String name, String text, int threads, int kernels) throws IOException {
    Path file = dir.resolve(name + ".kiln");
    Files.writeString(file, text);
    Model reference = Kiln.load(file, ModelOptions.defaults().withEngine(ModelOptions.Engine.INTERPRETER));
    // -O3, whose preset runs fuse-attention (since session 12).
    Model o3 = Kiln.load(file, compiled(threads).withOptimizationLevel(3));
    for (long seed = 1; seed <= 2; seed++) {
      Map<String, Tensor> in = randomInputs(reference, 1, seed);
      assertClose(name + " -O3, " + threads + " threads", reference.run(in), o3.run(in));
    }
    assertTrue(o3.compileLog().get(0).contains(": " + kernels + " kernels"), o3.compileLog().toString());
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void selfAttentionMatchesTheInterpreter(int threads) throws IOException {
    // Projection + attention: two kernels. Heads of 16 and 32 floats, 48 tokens; 4 heads of 64 and 128 tokens.
    check("heads16", selfAttention(48, 48, 3), threads, 2);
    check("heads32", selfAttention(48, 64, 2), threads, 2);
    check("heads64", selfAttention(128, 256, 4), threads, 2);
    // Rows of 19 floats: plain code.
    check("odd", selfAttention(19, 38, 2), threads, 2);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void crossAttentionMatchesTheInterpreter(int threads) throws IOException {
    // 13 queries: a partial block of rows; values of three vectors (a pair and a single panel).
    // The scale and K's transpose fold into the scores' matmul: one kernel.
    check("cross13", crossAttention(2, 13, 32, 24, 48), threads, 1);
    check("cross1", crossAttention(1, 1, 16, 5, 16), threads, 1);
    check("crossOdd", crossAttention(3, 7, 9, 5, 3), threads, 1);
  }
}
