package dev.kiln.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.interpreter.RunException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compiled engine on models whose shape-deciding inputs (Reshape's shape, Slice's starts,
 * Range's limit) are graph inputs: one program per (shapes, values), results as the
 * interpreter's, and clear errors for what cannot be specialized.
 */
@Tag("compile")
class ValueSpecializationTest {
  @TempDir Path dir;

  private static final String RESHAPE = """
      kiln 1
      model m(%x: f32[2, 6], %shape: i64[2]) -> (%y: f32[?, ?]) {
        "r": %y = Reshape(%x, %shape)
      }
      """;

  /** Slice by starts/ends given at run time, and Range up to the sum of a vector (via nodes). */
  private static final String SLICE_AND_RANGE = """
      kiln 1
      model m(%x: f32[4, 6], %starts: i64[2], %ends: i64[2], %v: i64[3])
          -> (%s: f32[?, ?], %r: i64[?]) {
        "s": %s = Slice(%x, %starts, %ends)
        %n = ReduceSum(%v) {keepdims = 0}
        %zero = Constant() {value_int = 0}
        %one = Constant() {value_int = 1}
        "r": %r = Range(%zero, %n, %one)
      }
      """;

  private static Model compiled(String text) {
    return Kiln.fromString(text, Path.of("."), ModelOptions.defaults()
        .withEngine(ModelOptions.Engine.COMPILED).withThreads(1));
  }

  private static Model interpreted(String text) {
    return Kiln.fromString(text, Path.of("."), ModelOptions.defaults()
        .withEngine(ModelOptions.Engine.INTERPRETER));
  }

  private static Tensor iota(long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    float[] data = new float[(int) n];
    for (int i = 0; i < n; i++) {
      data[i] = i;
    }
    return Tensor.ofFloats(shape, data);
  }

  private static Tensor longs(long... values) {
    return Tensor.ofLongs(new long[] {values.length}, values);
  }

  @Test
  void twoValueSetsGiveTwoProgramsAndTheInterpretersResults() {
    Model model = compiled(RESHAPE);
    Model reference = interpreted(RESHAPE);
    for (long[] shape : List.of(new long[] {3, 4}, new long[] {4, -1}, new long[] {3, 4})) {
      Map<String, Tensor> in = Map.of("x", iota(2, 6), "shape", longs(shape));
      Tensor y = model.run(in).get("y");
      assertEquals(reference.run(in).get("y"), y);
    }
    assertArrayEquals(new long[] {4, 3},
        model.run(Map.of("x", iota(2, 6), "shape", longs(4, -1))).get("y").shape());
    List<String> log = model.compileLog();
    assertEquals(2, log.size(), String.join("\n", log));
    assertTrue(log.get(0).startsWith("compiled for %x[2, 6], %shape[2] = [3, 4]: "), log.get(0));
    assertTrue(log.get(1).startsWith("compiled for %x[2, 6], %shape[2] = [4, -1]: "), log.get(1));
  }

  @Test
  void valuesReachShapesThroughOtherNodes() {
    Model model = compiled(SLICE_AND_RANGE);
    Model reference = interpreted(SLICE_AND_RANGE);
    for (long[][] args : List.of(
        new long[][] {{1, 2}, {3, 5}, {1, 2, 3}},
        new long[][] {{0, -3}, {4, 100}, {0, 0, 0}})) {
      Map<String, Tensor> in = Map.of("x", iota(4, 6), "starts", longs(args[0]),
          "ends", longs(args[1]), "v", longs(args[2]));
      assertEquals(reference.run(in), model.run(in));
    }
    assertEquals(2, model.compileLog().size());
  }

  @Test
  void aBadValueIsTheUsersMistakeNamingTheNode() {
    RunException e = assertThrows(RunException.class, () -> compiled(RESHAPE).run(
        Map.of("x", iota(2, 6), "shape", longs(5, -1))));
    assertEquals("Reshape node 'r': cannot reshape input 0 of shape [2, 6] (12 elements) to"
        + " [5, -1]: 12 is not a multiple of 5", e.getMessage());
  }

  @Test
  void aTooLargeValueInputIsRefusedWithWhy() {
    String text = """
        kiln 1
        model m(%v: i64[100]) -> (%r: i64[?]) {
          %n = ReduceMax(%v) {keepdims = 0}
          %zero = Constant() {value_int = 0}
          %one = Constant() {value_int = 1}
          "r": %r = Range(%zero, %n, %one)
        }
        """;
    RunException e = assertThrows(RunException.class,
        () -> compiled(text).run(Map.of("v", Tensor.zeros(dev.kiln.ir.type.DType.I64, 100))));
    assertEquals("input %v has 100 elements, but its values decide shapes (input 1 of Range"
        + " node 'r' reads it at compile time (through %n)), so the compiled engine compiles code"
        + " for its values, which it does for inputs of at most 64 elements; make it a constant of"
        + " the model, or run with the interpreter engine", e.getMessage());
  }

  @Test
  void anArtifactRefusesInputsWhoseValuesDecideShapes() {
    Model model = compiled(RESHAPE);
    Path jar = dir.resolve("m.jar");
    RunException e = assertThrows(RunException.class, () -> ArtifactCompiler.compile(model,
        Map.of("x", new long[] {2, 6}, "shape", new long[] {2}), jar));
    assertEquals("input %shape decides shapes by its values (input 1 of Reshape node 'r' reads"
        + " it at compile time), and an artifact is compiled for input shapes only; make it a"
        + " constant of the model (an initializer), or run the model itself (kiln run), whose"
        + " compiled engine compiles code per value", e.getMessage());
    assertFalse(Files.exists(jar));
  }
}
