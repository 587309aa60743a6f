package dev.kiln.passes.shape;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.ir.graph.Graph;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CompileTimeInputsTest {
  private static Map<String, String> of(String body) {
    Graph g = KilnText.parse("kiln 1\n" + body, "test.kiln", Path.of(".")).graph();
    return CompileTimeInputs.of(g);
  }

  @Test
  void anInputInAShapeSlotIsReadAtCompileTime() {
    assertEquals(Map.of("shape", "input 1 of Reshape node 'r' reads it at compile time"), of("""
        model m(%x: f32[2, 6], %shape: i64[2]) -> (%y: f32[?, ?]) {
          "r": %y = Reshape(%x, %shape)
        }
        """));
  }

  @Test
  void dataInputsAndConstantsAreNot() {
    assertEquals(Map.of(), of("""
        model m(%x: f32[2, 6]) -> (%y: f32[3, 4]) {
          %shape = Constant() {value_ints = [3, 4]}
          %y = Reshape(%x, %shape)
        }
        """));
  }

  @Test
  void valuesFlowThroughOtherNodes() {
    assertEquals(Map.of("n", "input 1 of Range node 'r' reads it at compile time (through %limit)"),
        of("""
        model m(%n: i32[]) -> (%y: i64[?]) {
          %limit = Cast(%n) {to = 7}
          %zero = Constant() {value_int = 0}
          %one = Constant() {value_int = 1}
          "r": %y = Range(%zero, %limit, %one)
        }
        """));
  }

  @Test
  void shapeOfAnInputNeedsOnlyItsShape() {
    assertEquals(Map.of(), of("""
        model m(%x: f32[N, 3, 4]) -> (%y: f32[?, ?]) {
          %s = Shape(%x)
          %i = Constant() {value_ints = [0]}
          %n = Gather(%s, %i) {axis = 0}
          %rest = Constant() {value_ints = [12]}
          %target = Concat(%n, %rest) {axis = 0}
          %y = Reshape(%x, %target)
        }
        """));
  }

  @Test
  void everySlotThatDecidesAShapeCounts() {
    Map<String, String> inputs = of("""
        model m(%x: f32[4, 6], %starts: i64[1], %ends: i64[1], %pads: i64[4], %axes: i64[1])
            -> (%a: f32[?, 6], %b: f32[?, ?], %c: f32[?, ?, ?]) {
          "s": %a = Slice(%x, %starts, %ends)
          "p": %b = Pad(%x, %pads)
          "u": %c = Unsqueeze(%x, %axes)
        }
        """);
    assertEquals(Map.of(
        "starts", "input 1 of Slice node 's' reads it at compile time",
        "ends", "input 2 of Slice node 's' reads it at compile time",
        "pads", "input 1 of Pad node 'p' reads it at compile time",
        "axes", "input 1 of Unsqueeze node 'u' reads it at compile time"), inputs);
    assertEquals(java.util.List.of("starts", "ends", "pads", "axes"),
        inputs.keySet().stream().toList());
  }
}
