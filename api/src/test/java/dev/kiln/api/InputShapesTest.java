package dev.kiln.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.ir.graph.Graph;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Concrete shapes for ahead-of-time compilation from --dim and --input-shape. */
class InputShapesTest {
  static final Graph TWO_INPUTS = Kiln.fromString("""
      model two(%a: f32[N, 4], %b: f32[N, M]) -> (%c: f32[N, 4]) {
        %c = Add(%a, %a)
      }
      """, java.nio.file.Path.of(".")).graph();

  private static String error(Map<String, Long> dims, Map<String, long[]> shapes) {
    return assertThrows(IllegalArgumentException.class,
        () -> InputShapes.resolve(TWO_INPUTS, dims, shapes)).getMessage();
  }

  @Test
  void unspecifiedSymbolicDimsAreOneWithANote() {
    InputShapes s = InputShapes.resolve(TWO_INPUTS, Map.of("M", 5L), Map.of());
    assertArrayEquals(new long[] {1, 4}, s.shapes().get("a"));
    assertArrayEquals(new long[] {1, 5}, s.shapes().get("b"));
    assertEquals(List.of("symbolic dimension N is not given; compiling for N = 1 (use --dim N=SIZE)"),
        s.notes());
  }

  @Test
  void anInputShapeBindsItsSymbolicDimsForTheOtherInputs() {
    InputShapes s = InputShapes.resolve(TWO_INPUTS, Map.of(), Map.of("b", new long[] {8, 2}));
    assertArrayEquals(new long[] {8, 4}, s.shapes().get("a"));
    assertArrayEquals(new long[] {8, 2}, s.shapes().get("b"));
    assertEquals(List.of(), s.notes());
  }

  @Test
  void mistakesNameTheOption() {
    assertEquals("--dim K: the model has no symbolic dimension named 'K'; its inputs are "
        + "a: f32[N, 4], b: f32[N, M]", error(Map.of("K", 2L), Map.of()));
    assertEquals("--dim N must be >= 0, got -1", error(Map.of("N", -1L), Map.of()));
    assertEquals("--input-shape z: the model has no input named 'z'; its inputs are "
        + "a: f32[N, 4], b: f32[N, M]", error(Map.of(), Map.of("z", new long[] {1})));
    assertEquals("--input-shape a=2,4,1: the shape has rank 3, but input 'a' is declared "
        + "f32[N, 4] (rank 2)", error(Map.of(), Map.of("a", new long[] {2, 4, 1})));
    assertEquals("--input-shape a=2,5: dim 1 is 5, but input 'a' is declared f32[N, 4]",
        error(Map.of(), Map.of("a", new long[] {2, 5})));
    assertEquals("--input-shape a=2,4: dim 0 is N = 2, but --dim N=3 gave N = 3",
        error(Map.of("N", 3L), Map.of("a", new long[] {2, 4})));
  }
}
