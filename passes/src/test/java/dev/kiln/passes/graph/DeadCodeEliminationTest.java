package dev.kiln.passes.graph;

import static dev.kiln.passes.graph.PassTesting.body;
import static dev.kiln.passes.graph.PassTesting.parse;
import static dev.kiln.passes.graph.PassTesting.runChecked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kiln.ir.graph.Graph;
import dev.kiln.passes.pipeline.PassContext;
import org.junit.jupiter.api.Test;

class DeadCodeEliminationTest {
  @Test
  void unusedChainsAndConstantsGo() {
    Graph out = runChecked(new DeadCodeElimination(), parse("""
        kiln 1
        model m(%x: f32[2], %unused: f32[3]) -> (%y: f32[2]) {
          const %a: f32[2] = [1.0, 2.0]
          const %dead: f32[2] = [3.0, 4.0]
          %d1 = Mul(%x, %dead)
          %d2 = Relu(%d1)
          %y = Add(%x, %a)
        }
        """), 1);
    assertEquals("""
        const %a: f32[2] = [1.0, 2.0]
        %y = Add(%x, %a)""", body(out));
    assertEquals(2, out.inputs().size(), "graph inputs are the signature and stay");
  }

  @Test
  void aLiveGraphReturnsTheSameInstance() {
    Graph g = parse("""
        kiln 1
        model m(%x: f32[2]) -> (%y: f32[2]) {
          %y = Relu(%x)
        }
        """);
    assertSame(g, new DeadCodeElimination().run(g, PassContext.silent()));
  }

  @Test
  void aNodeWithOneUsedOutputStays() {
    Graph g = parse("""
        kiln 1
        model m(%x: f32[4]) -> (%a: f32[2]) {
          const %split: i64[2] = [2, 2]
          %a, %b = Split(%x, %split) {axis = 0}
        }
        """);
    assertSame(g, new DeadCodeElimination().run(g, PassContext.silent()));
  }
}
