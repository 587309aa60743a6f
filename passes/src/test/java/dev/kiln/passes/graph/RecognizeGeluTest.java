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

class RecognizeGeluTest {
  private static final String CONSTANTS = """
        const %sqrt2: f32[] = 1.4142135
        const %one: f32[] = 1.0
        const %half: f32[] = 0.5
        const %c: f32[] = 0.044715
        const %k: f32[] = 0.7978846
        const %three: f32[] = 3.0
      """;

  private static Graph gelu(String body, long seed) {
    Graph g = parse("kiln 1\nmodel m(%x: f32[2, 8]) -> (%y: f32[2, 8]) {\n" + CONSTANTS + body
        + "}\n");
    return run(new DeadCodeElimination(), runChecked(new RecognizeGelu(), g, seed));
  }

  @Test
  void pyTorchsErfForm() {
    Graph out = gelu("""
          %d = Div(%x, %sqrt2)
          %e = Erf(%d)
          %a = Add(%e, %one)
          %m = Mul(%x, %a)
          %y = Mul(%m, %half)
        """, 1);
    assertEquals("%y = Gelu(%x)", body(out));
  }

  @Test
  void halfTimesXFirstAndOperandsSwapped() {
    Graph out = gelu("""
          %h = Mul(%half, %x)
          %d = Div(%x, %sqrt2)
          %e = Erf(%d)
          %a = Add(%one, %e)
          %y = Mul(%h, %a)
        """, 2);
    assertEquals("%y = Gelu(%x)", body(out));
  }

  @Test
  void tanhFormWithPowAndWithProducts() {
    Graph withPow = gelu("""
          %p = Pow(%x, %three)
          %t1 = Mul(%c, %p)
          %s = Add(%x, %t1)
          %u = Mul(%s, %k)
          %t = Tanh(%u)
          %a = Add(%t, %one)
          %h = Mul(%a, %half)
          %y = Mul(%x, %h)
        """, 3);
    assertEquals("%y = Gelu(%x) {approximate = \"tanh\"}", body(withPow));
    Graph withMul = gelu("""
          %sq = Mul(%x, %x)
          %p = Mul(%x, %sq)
          %t1 = Mul(%p, %c)
          %s = Add(%t1, %x)
          %u = Mul(%k, %s)
          %t = Tanh(%u)
          %a = Add(%t, %one)
          %m = Mul(%a, %x)
          %y = Mul(%m, %half)
        """, 4);
    assertEquals("%y = Gelu(%x) {approximate = \"tanh\"}", body(withMul));
  }

  @Test
  void aSharedIntermediateOrAWrongConstantStopsItAndSaysWhere() {
    Graph g = parse("kiln 1\nmodel m(%x: f32[2, 8]) -> (%y: f32[2, 8], %z: f32[2, 8]) {\n"
        + CONSTANTS + """
          %d = Div(%x, %sqrt2)
          %e = Erf(%d)
          %a = Add(%e, %one)
          %m = Mul(%x, %a)
          %y = Mul(%m, %half)
          %z = Add(%a, %x)
          %w = Div(%x, %three)
          %e2 = Erf(%w)
        }
        """);
    assertSame(g, new RecognizeGelu().run(g, PassContext.silent()));
    assertEquals(List.of(
        "recognize-gelu: Erf node defining %e: no GELU: 1 + f is not used only by a Mul",
        "recognize-gelu: Erf node defining %e2: no GELU: Erf's input is not x / sqrt(2) or"
            + " x * (1 / sqrt(2))"), remarks(new RecognizeGelu(), g));
  }
}
