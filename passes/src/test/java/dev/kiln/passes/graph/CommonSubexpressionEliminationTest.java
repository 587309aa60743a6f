package dev.kiln.passes.graph;

import static dev.kiln.passes.graph.PassTesting.body;
import static dev.kiln.passes.graph.PassTesting.parse;
import static dev.kiln.passes.graph.PassTesting.run;
import static dev.kiln.passes.graph.PassTesting.runChecked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kiln.ir.graph.Graph;
import dev.kiln.passes.pipeline.PassContext;
import org.junit.jupiter.api.Test;

class CommonSubexpressionEliminationTest {
  @Test
  void sameOperatorInputsAndAttributesAreComputedOnce() {
    Graph g = parse("""
        kiln 1
        model m(%x: f32[2, 3]) -> (%y: f32[3, 2]) {
          %t1 = Transpose(%x) {perm = [1, 0]}
          %t2 = Transpose(%x) {perm = [1, 0]}
          %r1 = Relu(%t1)
          %r2 = Relu(%t2)
          %y = Add(%r1, %r2)
        }
        """);
    Graph out = new DeadCodeElimination().run(runChecked(new CommonSubexpressionElimination(), g, 1),
        PassContext.silent());
    assertEquals("""
        %t1 = Transpose(%x) {perm = [1, 0]}
        %r1 = Relu(%t1)
        %y = Add(%r1, %r1)""", body(out));
  }

  @Test
  void differentAttributesOrInputsStay() {
    Graph g = parse("""
        kiln 1
        model m(%x: f32[2, 2], %z: f32[2, 2]) -> (%y: f32[2, 2]) {
          %a = LeakyRelu(%x) {alpha = 0.1}
          %b = LeakyRelu(%x) {alpha = 0.2}
          %c = LeakyRelu(%z) {alpha = 0.1}
          %s = Add(%a, %b)
          %y = Add(%s, %c)
        }
        """);
    assertSame(g, new CommonSubexpressionElimination().run(g, PassContext.silent()));
  }

  @Test
  void equalInlineConstantsMerge() {
    Graph out = run(new DeadCodeElimination(), runChecked(new CommonSubexpressionElimination(),
        parse("""
            kiln 1
            model m(%x: f32[2]) -> (%y: f32[2]) {
              const %a: f32[2] = [1.0, 2.0]
              const %b: f32[2] = [1.0, 2.0]
              %s = Add(%x, %a)
              %y = Mul(%s, %b)
            }
            """), 2));
    assertEquals("""
        const %a: f32[2] = [1.0, 2.0]
        %s = Add(%x, %a)
        %y = Mul(%s, %a)""", body(out));
  }

  @Test
  void aDuplicateGraphOutputIsKeptByName() {
    Graph out = runChecked(new CommonSubexpressionElimination(), parse("""
        kiln 1
        model m(%x: f32[2]) -> (%a: f32[2], %b: f32[2]) {
          %a = Relu(%x)
          %b = Relu(%x)
        }
        """), 3);
    assertEquals("""
        %a = Relu(%x)
        %b = Identity(%a)""", body(out));
  }
}
