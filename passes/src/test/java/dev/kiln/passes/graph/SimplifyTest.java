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

class SimplifyTest {
  private static Graph simplified(String text, long seed) {
    return run(new DeadCodeElimination(), runChecked(new Simplify(), parse(text), seed));
  }

  @Test
  void identityAndInferenceDropoutAreTheirInput() {
    Graph out = simplified("""
        kiln 1
        model m(%x: f32[2, 3]) -> (%y: f32[2, 3]) {
          %a = Identity(%x)
          %b = Dropout(%a)
          %y = Relu(%b)
        }
        """, 1);
    assertEquals("%y = Relu(%x)", body(out));
  }

  @Test
  void transposeChainsCompose() {
    Graph out = simplified("""
        kiln 1
        model m(%x: f32[2, 3, 4]) -> (%y: f32[4, 2, 3], %z: f32[2, 3, 4]) {
          %a = Transpose(%x) {perm = [1, 0, 2]}
          %b = Transpose(%a) {perm = [2, 1, 0]}
          %y = Relu(%b)
          %c = Transpose(%a) {perm = [1, 0, 2]}
          %z = Relu(%c)
        }
        """, 2);
    assertEquals("""
        %b = Transpose(%x) {perm = [2, 0, 1]}
        %y = Relu(%b)
        %z = Relu(%x)""", body(out));
  }

  @Test
  void reshapeChainsBecomeOneReshape() {
    Graph out = simplified("""
        kiln 1
        model m(%x: f32[2, 3, 4]) -> (%y: f32[6, 4], %z: f32[2, 3, 4]) {
          %f = Flatten(%x) {axis = 1}
          const %s: i64[2] = [6, 4]
          %r = Reshape(%f, %s)
          %y = Relu(%r)
          const %back: i64[3] = [2, 3, 4]
          %u = Reshape(%f, %back)
          %z = Relu(%u)
        }
        """, 3);
    assertEquals("""
        const %r.shape: i64[2] = [6, 4]
        %r = Reshape(%x, %r.shape)
        %y = Relu(%r)
        %z = Relu(%x)""", body(out));
  }

  @Test
  void noOpCastPadSliceExpandAreTheirInput() {
    Graph out = simplified("""
        kiln 1
        model m(%x: f32[2, 3]) -> (%y: f32[2, 3]) {
          %c = Cast(%x) {to = 1}
          const %pads: i64[4] = [0, 0, 0, 0]
          %p = Pad(%c, %pads)
          const %starts: i64[2] = [0, 0]
          const %ends: i64[2] = [2, 3]
          %s = Slice(%p, %starts, %ends)
          const %shape: i64[2] = [2, 3]
          %e = Expand(%s, %shape)
          %y = Relu(%e)
        }
        """, 4);
    assertEquals("%y = Relu(%x)", body(out));
  }

  @Test
  void neutralConstantsAreDroppedUnlessTheyBroadcast() {
    Graph out = simplified("""
        kiln 1
        model m(%x: f32[2, 3], %v: f32[3]) -> (%y: f32[2, 3], %w: f32[2, 3]) {
          const %one: f32[] = 1.0
          const %zero: f32[3] = [0.0, 0.0, 0.0]
          const %zeros: f32[2, 3] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
          %a = Mul(%one, %x)
          %b = Add(%a, %zero)
          %c = Div(%b, %one)
          %d = Sub(%c, %zero)
          %y = Relu(%d)
          %w = Add(%v, %zeros)
        }
        """, 5);
    assertEquals("""
        const %zeros: f32[2, 3] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        %y = Relu(%x)
        %w = Add(%v, %zeros)""", body(out));
  }

  @Test
  void staticShapeComputationsFold() {
    Graph out = simplified("""
        kiln 1
        model m(%x: f32[2, 3, 4]) -> (%y: f32[6, 4]) {
          %s = Shape(%x)
          const %idx: i64[1] = [2]
          %last = Gather(%s, %idx) {axis = 0}
          const %minus1: i64[1] = [-1]
          %shape = Concat(%minus1, %last) {axis = 0}
          %y = Reshape(%x, %shape)
        }
        """, 6);
    assertEquals("""
        const %shape: i64[2] = [-1, 4]
        %y = Reshape(%x, %shape)""", body(out));
  }

  @Test
  void anIdentityOfAGraphInputToAGraphOutputStays() {
    Graph g = parse("""
        kiln 1
        model m(%x: f32[2]) -> (%y: f32[2]) {
          %y = Identity(%x)
        }
        """);
    assertSame(g, new Simplify().run(g, PassContext.silent()));
    assertEquals(List.of("simplify: Identity node defining %y: not simplified: it copies x to a"
        + " graph output of its own"), remarks(new Simplify(), g));
  }

  @Test
  void anIdentityThatIsAGraphOutputTakesOverItsInputsName() {
    Graph out = simplified("""
        kiln 1
        model m(%x: f32[2]) -> (%y: f32[2]) {
          %r = Relu(%x)
          %y = Identity(%r)
        }
        """, 7);
    assertEquals("%y = Relu(%x)", body(out));
  }

  @Test
  void aUsedDropoutMaskKeepsTheDropout() {
    Graph g = parse("""
        kiln 1
        model m(%x: f32[2]) -> (%y: f32[2], %mask: bool[2]) {
          %y, %mask = Dropout(%x)
        }
        """);
    assertSame(g, new Simplify().run(g, PassContext.silent()));
  }
}
