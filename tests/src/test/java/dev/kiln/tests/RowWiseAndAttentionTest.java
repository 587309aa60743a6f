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
 * A transformer block's row-wise kernels (Softmax, LayerNorm, reductions over the last axis: their
 * reductions vectorized by lanes) and attention's transposing copies folded into the matmuls
 * (fold-copies-into-matmul) compute, compiled at -O3, what the reference interpreter computes on
 * the unoptimized graph. Rows of 19 and 37 elements leave vector tails; threads 1 and 2.
 */
class RowWiseAndAttentionTest {
  @TempDir
  Path dir;

  private static String model(int rows, int width) {
    int heads = 2;
    int head = width / heads;
    Random r = new Random(3);
    StringBuilder w = new StringBuilder();
    for (int i = 0; i < width * 3 * width; i++) {
      w.append(i == 0 ? "" : ", ").append((float) (r.nextGaussian() / Math.sqrt(width)));
    }
    return """
        kiln 1
        model block(%x: f32[ROWS, 1, W], %g: f32[W], %b: f32[W]) -> (%y: f32[ROWS, W], %m: f32[ROWS, 1], %s: f32[ROWS, 1]) {
          const %w: f32[W, W3] = [WEIGHTS]
          const %d: f32[] = 2.5
          const %split: i64[3] = [ROWS, H3, HEAD]
          const %merge: i64[2] = [ROWS, W]
          const %q0: i64[1] = [0]
          const %k0: i64[1] = [H]
          const %v0: i64[1] = [H2]
          const %end: i64[1] = [H3]
          const %axes: i64[1] = [-1]
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
          %h = Reshape(%mt, %merge)
          %n = LayerNormalization(%h, %g, %b)
          %y = Relu(%n)
          %m = ReduceMax(%h, %axes)
          %s = ReduceSum(%h, %axes)
        }
        """.replace("ROWS", "" + rows).replace("W3", "" + 3 * width).replace("WEIGHTS", w)
        .replace("HEAD", "" + head).replace("H3", "" + 3 * heads).replace("H2", "" + 2 * heads)
        .replace("%k0: i64[1] = [H]", "%k0: i64[1] = [" + heads + "]").replace("W", "" + width);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void o3MatchesTheInterpreter(int threads) throws IOException {
    for (int[] size : new int[][] {{19, 38}, {37, 74}}) {
      Path file = dir.resolve("block" + size[0] + ".kiln");
      Files.writeString(file, model(size[0], size[1]));
      Model reference = Kiln.load(file, ModelOptions.defaults().withEngine(ModelOptions.Engine.INTERPRETER));
      Model o3 = Kiln.load(file, compiled(threads).withOptimizationLevel(3));
      Map<String, Tensor> in = randomInputs(reference, 1, 5);
      assertClose("block " + size[0] + "x" + size[1] + " -O3", reference.run(in), o3.run(in));
      assertTrue(o3.compileLog().get(0).contains("kernels"), o3.compileLog().toString());
    }
  }
}
