package dev.kiln.passes.graph;

import static dev.kiln.passes.graph.PassTesting.body;
import static dev.kiln.passes.graph.PassTesting.parse;
import static dev.kiln.passes.graph.PassTesting.remarks;
import static dev.kiln.passes.graph.PassTesting.runChecked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.op.OpRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class FoldConstantsTest {
  static final String CHAIN = """
      kiln 1
      model m(%x: f32[2]) -> (%y: f32[2]) {
        const %a: f32[2] = [1.0, 2.0]
        const %b: f32[2] = [3.0, 4.0]
        %s = Add(%a, %b)
        %t = Mul(%s, %s)
        %y = Add(%x, %t)
      }
      """;

  @Test
  void nodesOfConstantsBecomeConstantsInOneWalk() {
    Graph out = runChecked(new FoldConstants(), parse(CHAIN), 1);
    assertEquals("""
        const %a: f32[2] = [1.0, 2.0]
        const %b: f32[2] = [3.0, 4.0]
        const %s: f32[2] = [4.0, 6.0]
        const %t: f32[2] = [16.0, 36.0]
        %y = Add(%x, %t)""", body(out));
  }

  @Test
  void nothingToFoldReturnsTheSameGraph() {
    Graph g = parse("""
        kiln 1
        model m(%x: f32[2]) -> (%y: f32[2]) {
          %y = Relu(%x)
        }
        """);
    assertSame(g, new FoldConstants().run(g, dev.kiln.passes.pipeline.PassContext.silent()));
  }

  @Test
  void outputsOverTheLimitStayAndSayWhy() {
    Graph g = parse(CHAIN);
    FoldConstants pass = new FoldConstants(OpRegistry.standard(), 1);
    assertSame(g, pass.run(g, dev.kiln.passes.pipeline.PassContext.silent()));
    List<String> remarks = remarks(pass, g);
    assertTrue(remarks.contains("fold-constants: Add node defining %s: not folded: an output has"
        + " more than 1 elements (or an unknown shape); raise max-elements to fold it"),
        remarks.toString());
  }

  @Test
  void aFoldedGraphOutputKeepsItsName() {
    Graph out = runChecked(new FoldConstants(), parse("""
        kiln 1
        model m(%x: f32[2]) -> (%x2: f32[2], %y: f32[1]) {
          const %a: f32[1] = [2.0]
          %x2 = Relu(%x)
          %y = Neg(%a)
        }
        """), 2);
    assertTrue(body(out).contains("const %y: f32[1] = [-2.0]"), body(out));
  }

  @Test
  void negativeLimitIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new FoldConstants(OpRegistry.standard(), -1));
    assertEquals("max-elements must be >= 0, got -1", e.getMessage());
  }
}
