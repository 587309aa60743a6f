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

class RecognizeLayerNormTest {
  private static final String CHAIN = """
        const %two: f32[] = 2.0
        const %eps: f32[] = 1e-5
        const %gamma: f32[4] = [1.0, 2.0, 0.5, -1.0]
        const %beta: f32[4] = [0.0, 0.1, 0.2, 0.3]
        %mean = ReduceMean(%x) {axes = [-1]}
        %d = Sub(%x, %mean)
        %sq = Pow(%d, %two)
        %var = ReduceMean(%sq) {axes = [-1]}
        %ve = Add(%var, %eps)
        %s = Sqrt(%ve)
        %n = Div(%d, %s)
      """;

  private static Graph recognized(String text, long seed) {
    return run(new DeadCodeElimination(), runChecked(new RecognizeLayerNorm(), parse(text), seed));
  }

  @Test
  void theExportedChainWithScaleAndBias() {
    Graph out = recognized("kiln 1\nmodel m(%x: f32[2, 3, 4]) -> (%y: f32[2, 3, 4]) {\n" + CHAIN
        + "  %g = Mul(%n, %gamma)\n  %y = Add(%g, %beta)\n}\n", 1);
    assertEquals("""
        const %gamma: f32[4] = [1.0, 2.0, 0.5, -1.0]
        const %beta: f32[4] = [0.0, 0.1, 0.2, 0.3]
        %y = LayerNormalization(%x, %gamma, %beta) {axis = 2, epsilon = 1.0E-5}""", body(out));
  }

  @Test
  void withoutScaleAScaleOfOnesIsMade() {
    Graph out = recognized("kiln 1\nmodel m(%x: f32[2, 3, 4]) -> (%n: f32[2, 3, 4]) {\n" + CHAIN
        + "}\n", 2);
    assertEquals("""
        const %x.ln_scale: f32[4] = [1.0, 1.0, 1.0, 1.0]
        %n = LayerNormalization(%x, %x.ln_scale) {axis = 2, epsilon = 1.0E-5}""", body(out));
  }

  @Test
  void aReductionOverALeadingAxisOrAnExtraUseStopsIt() {
    Graph g = parse("kiln 1\nmodel m(%x: f32[2, 3, 4]) -> (%y: f32[2, 3, 4], %v: f32[2, 3, 1],"
        + " %w: f32[1, 3, 4]) {\n" + CHAIN + """
          %y = Relu(%n)
          %v = Relu(%var)
          %w = ReduceMean(%x) {axes = [0]}
        }
        """);
    assertSame(g, new RecognizeLayerNorm().run(g, PassContext.silent()));
    assertEquals(List.of(
        "recognize-layernorm: ReduceMean node defining %mean: no LayerNormalization: the variance"
            + " is not used only by an Add of a constant epsilon",
        "recognize-layernorm: ReduceMean node defining %var: no LayerNormalization: the mean is"
            + " not used only by x - mean",
        "recognize-layernorm: ReduceMean node defining %w: no LayerNormalization: it does not"
            + " reduce the trailing axes with keepdims = 1"), remarks(new RecognizeLayerNorm(), g));
  }
}
