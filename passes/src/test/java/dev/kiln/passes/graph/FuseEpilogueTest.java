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

class FuseEpilogueTest {
  private static Graph fused(String text, long seed) {
    return run(new DeadCodeElimination(), runChecked(new FuseEpilogue(), parse(text), seed));
  }

  @Test
  void matMulWithBiasResidualAndRelu() {
    Graph out = fused("""
        kiln 1
        model m(%x: f32[2, 3, 4], %r: f32[2, 3, 5]) -> (%y: f32[2, 3, 5]) {
          const %w: f32[4, 5] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0,
            13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0]
          const %b: f32[5] = [0.1, 0.2, 0.3, 0.4, 0.5]
          "fc": %p = MatMul(%x, %w)
          %a = Add(%b, %p)
          %s = Add(%a, %r)
          %y = Relu(%s)
        }
        """, 1);
    assertEquals("fc: %y = FusedMatMul(%x, %w, %b, %r) {activation = \"Relu\"}",
        body(out).lines().reduce((a, b) -> b).orElseThrow());
    assertEquals(1, out.nodes().size());
  }

  @Test
  void convWithAChannelBiasAddAResidualAndClip() {
    Graph out = fused("""
        kiln 1
        model m(%x: f32[1, 2, 3, 3], %z: f32[1, 2, 3, 3]) -> (%y: f32[1, 2, 3, 3]) {
          const %w: f32[2, 2, 1, 1] = [1.0, -1.0, 0.5, 2.0]
          const %b: f32[2] = [0.25, -0.25]
          const %c: f32[1, 2, 1, 1] = [1.0, 2.0]
          const %lo: f32[] = 0.0
          const %hi: f32[] = 6.0
          %v = Conv(%x, %w, %b)
          %a = Add(%v, %c)
          %s = Add(%z, %a)
          %y = Clip(%s, %lo, %hi)
        }
        """, 2);
    assertEquals("""
        const %w: f32[2, 2, 1, 1] = [1.0, -1.0, 0.5, 2.0]
        const %w.bias: f32[2] = [1.25, 1.75]
        %y = FusedConv(%x, %w, %w.bias, %z) {activation = "Clip", activation_params = [0.0, 6.0]}""",
        body(out));
  }

  @Test
  void gemmTakesABiasAsCAndEveryActivation() {
    for (String act : List.of("Sigmoid(%a)", "Tanh(%a)", "LeakyRelu(%a) {alpha = 0.2}",
        "HardSigmoid(%a) {beta = 0.25}", "Gelu(%a)", "Gelu(%a) {approximate = \"tanh\"}")) {
      Graph out = fused("""
          kiln 1
          model m(%x: f32[3, 4]) -> (%y: f32[3, 2]) {
            const %w: f32[2, 4] = [1.0, 2.0, 3.0, 4.0, -1.0, -2.0, -3.0, -4.0]
            const %c: f32[1, 2] = [0.5, -0.5]
            %g = Gemm(%x, %w) {beta = 3.0, transB = 1}
            %a = Add(%g, %c)
            %y = ACT
          }
          """.replace("ACT", act), 3);
      assertEquals(List.of("FusedGemm"), out.nodes().stream().map(n -> n.op()).toList(), act);
    }
  }

  @Test
  void saysWhyNothingWasFused() {
    Graph g = parse("""
        kiln 1
        model m(%x: f32[2, 4], %w: f32[4, 4]) -> (%y: f32[2, 4], %p2: f32[2, 4], %s: f32[2, 4]) {
          %p = MatMul(%x, %w)
          %y = Softmax(%p)
          %p2 = MatMul(%x, %w)
          %p3 = MatMul(%x, %w)
          %q = Relu(%p3)
          %s = Add(%p3, %q)
        }
        """);
    assertSame(g, new FuseEpilogue().run(g, PassContext.silent()));
    assertEquals(List.of(
        "fuse-epilogue: MatMul node defining %p: not fused: %p is used by Softmax node defining"
            + " %y, which is not a bias, a residual Add or a supported activation",
        "fuse-epilogue: MatMul node defining %p2: not fused: its output %p2 is a graph output",
        "fuse-epilogue: MatMul node defining %p3: not fused: %p3 has 2 uses"),
        remarks(new FuseEpilogue(), g));
  }
}
