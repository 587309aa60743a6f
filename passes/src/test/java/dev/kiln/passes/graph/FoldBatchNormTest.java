package dev.kiln.passes.graph;

import static dev.kiln.passes.graph.PassTesting.body;
import static dev.kiln.passes.graph.PassTesting.parse;
import static dev.kiln.passes.graph.PassTesting.remarks;
import static dev.kiln.passes.graph.PassTesting.run;
import static dev.kiln.passes.graph.PassTesting.runChecked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kiln.ir.graph.Graph;
import dev.kiln.passes.pipeline.PassContext;
import java.util.List;
import org.junit.jupiter.api.Test;

class FoldBatchNormTest {
  static final String BN_PARAMS = """
        const %scale: f32[3] = [0.5, 2.0, -1.0]
        const %shift: f32[3] = [0.1, -0.2, 0.3]
        const %mean: f32[3] = [1.0, -1.0, 0.5]
        const %var: f32[3] = [4.0, 0.25, 1.0]
      """;

  private static String model(String signature, String body) {
    return "kiln 1\nmodel m" + signature + " {\n" + BN_PARAMS + body + "}\n";
  }

  private static Graph folded(Graph g, long seed) {
    return run(new DeadCodeElimination(), runChecked(new FoldBatchNorm(), g, seed));
  }

  @Test
  void convWithAndWithoutBias() {
    for (String bias : List.of(", %b", "")) {
      Graph out = folded(parse(model("(%x: f32[1, 2, 4, 4]) -> (%y: f32[1, 3, 4, 4])", """
            const %w: f32[3, 2, 1, 1] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
            const %b: f32[3] = [0.5, 0.25, -0.5]
            "conv": %c = Conv(%x, %w%BIAS) {kernel_shape = [1, 1]}
            "bn": %n = BatchNormalization(%c, %scale, %shift, %mean, %var) {epsilon = 0.0}
            %y = Relu(%n)
          """.replace("%BIAS", bias))), 1);
      // s = scale / sqrt(var) = [0.25, 4, -1]; bias' = b s + shift - mean s.
      String expectedBias = bias.isEmpty() ? "[-0.15, 3.8, 0.8]" : "[-0.024999999, 4.8, 1.3]";
      assertEquals("""
          const %w.bn: f32[3, 2, 1, 1] = [0.25, 0.5, 12.0, 16.0, -5.0, -6.0]
          const %w.bn_bias: f32[3] = BIAS
          conv: %n = Conv(%x, %w.bn, %w.bn_bias) {kernel_shape = [1, 1]}
          %y = Relu(%n)""".replace("BIAS", expectedBias), body(out));
    }
  }

  @Test
  void gemmWithEitherWeightLayout() {
    for (String trans : List.of("0", "1")) {
      String w = trans.equals("1") ? "%w: f32[3, 2] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]"
          : "%w: f32[2, 3] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]";
      Graph out = folded(parse(model("(%x: f32[4, 2]) -> (%y: f32[4, 3])", """
            const WEIGHT
            const %c: f32[1, 3] = [0.5, 0.25, -0.5]
            %g = Gemm(%x, %w, %c) {beta = 2.0, transB = TRANS}
            %y = BatchNormalization(%g, %scale, %shift, %mean, %var)
          """.replace("WEIGHT", w).replace("TRANS", trans))), 2);
      assertEquals(1, out.nodes().size(), body(out));
      assertEquals("Gemm", out.nodes().get(0).op());
    }
  }

  @Test
  void matMulGetsAnAddOfTheFoldedBias() {
    Graph out = folded(parse(model("(%x: f32[4, 2]) -> (%y: f32[4, 3])", """
          const %w: f32[2, 3] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
          %p = MatMul(%x, %w)
          %y = BatchNormalization(%p, %scale, %shift, %mean, %var)
        """)), 3);
    assertEquals(List.of("MatMul", "Add"), out.nodes().stream().map(n -> n.op()).toList());
  }

  @Test
  void saysWhyItDidNotFold() {
    Graph g = parse(model("(%x: f32[1, 3, 2, 2], %w: f32[3, 3, 1, 1]) -> (%y: f32[1, 3, 2, 2],"
        + " %z: f32[1, 3, 2, 2], %u: f32[1, 3, 2, 2])", """
          %y = BatchNormalization(%x, %scale, %shift, %mean, %var)
          %c = Conv(%x, %w)
          %z = BatchNormalization(%c, %scale, %shift, %mean, %var)
          const %k: f32[3, 3, 1, 1] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
          %c2 = Conv(%x, %k)
          %n2 = BatchNormalization(%c2, %scale, %shift, %mean, %var)
          %u = Add(%n2, %c2)
        """));
    assertSame(g, new FoldBatchNorm().run(g, PassContext.silent()));
    assertEquals(List.of(
        "fold-batchnorm: BatchNormalization node defining %y: not folded: its input is not the"
            + " output of a Conv, Gemm or MatMul",
        "fold-batchnorm: BatchNormalization node defining %z: not folded: the Conv weights %w are"
            + " not a constant",
        "fold-batchnorm: BatchNormalization node defining %n2: not folded: the Conv output %c2"
            + " has other uses"), remarks(new FoldBatchNorm(), g));
  }

  @Test
  void leavesTrainingModeAlone() {
    // Batch statistics depend on the data, so nothing can be folded into constant weights.
    for (String outputs : List.of("%y", "%y, %rm, %rv")) {
      Graph g = parse(model("(%x: f32[2, 2]) -> (" + outputs.replace("%y", "%y: f32[2, 3]")
          .replace("%rm", "%rm: f32[3]").replace("%rv", "%rv: f32[3]") + ")", """
            const %w: f32[2, 3] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
            %p = MatMul(%x, %w)
            OUTPUTS = BatchNormalization(%p, %scale, %shift, %mean, %var) {training_mode = 1}
          """.replace("OUTPUTS", outputs)));
      assertSame(g, new FoldBatchNorm().run(g, PassContext.silent()));
      assertEquals(List.of("fold-batchnorm: BatchNormalization node defining %y: not folded: it is"
          + " in training form (more than one output, or training_mode = 1)"),
          remarks(new FoldBatchNorm(), g));
    }
  }
}
