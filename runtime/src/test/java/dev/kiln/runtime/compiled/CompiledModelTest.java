package dev.kiln.runtime.compiled;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import dev.kiln.runtime.interpreter.RunException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Specialization on input values: a stand-in for a compiled {@code Reshape(%x, %shape)} whose
 * {@code %shape} is a graph input, so each value of {@code %shape} needs a program of its own.
 */
class CompiledModelTest {
  private static final Value X = new Value("x", TensorType.of(DType.F32, 2, 6));
  private static final Value SHAPE = new Value("shape", TensorType.of(DType.I64, 2));
  private static final Value Y = new Value("y", TensorType.of(DType.F32, dev.kiln.ir.type.Dim.UNKNOWN, dev.kiln.ir.type.Dim.UNKNOWN));
  private static final String WHY = "input 1 of Reshape node 'r' reads it at compile time";

  /** What the specializer was asked for, one entry per call: the values of %shape. */
  private final List<long[]> compiled = new ArrayList<>();

  /** A program that copies x into y of the shape %shape's values say (a flat copy). */
  private ExecutableProgram reshape(Map<String, long[]> shapes, Map<String, Tensor> values) {
    long[] target = values.get("shape").toLongArray();
    compiled.add(target);
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, shapes.get("x"));
    Buffer shape = Buffer.of("shape", DType.I64, BufferRole.INPUT, shapes.get("shape"));
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, target);
    FrameLayout layout = new FrameLayout(ImmutableList.of(new FrameLayout.Slot(x, 0),
        new FrameLayout.Slot(shape, 0), new FrameLayout.Slot(y, 0)), ImmutableMap.of());
    CompiledProgram copy = frame -> System.arraycopy(frame.floats(0), 0, frame.floats(2), 0, 12);
    return new ExecutableProgram(copy, layout, Map.of());
  }

  private CompiledModel model() {
    return new CompiledModel(List.of(X, SHAPE), List.of(Y), Map.of("shape", WHY), this::reshape,
        ParallelExecutor.withThreads(1));
  }

  private static Map<String, Tensor> inputs(long... shape) {
    float[] data = new float[12];
    for (int i = 0; i < 12; i++) {
      data[i] = i;
    }
    return Map.of("x", Tensor.ofFloats(new long[] {2, 6}, data),
        "shape", Tensor.ofLongs(new long[] {shape.length}, shape));
  }

  @Test
  void eachValueOfAShapeInputGetsItsOwnProgram() {
    CompiledModel model = model();
    Tensor a = model.run(inputs(3, 4)).get("y");
    Tensor b = model.run(inputs(4, 3)).get("y");
    assertArrayEquals(new long[] {3, 4}, a.shape());
    assertArrayEquals(new long[] {4, 3}, b.shape());
    assertEquals(11.0, a.getDouble(11));
    assertEquals(11.0, b.getDouble(11));
    assertEquals(2, model.specializations());
    assertEquals(2, compiled.size());
  }

  @Test
  void theSameValuesReuseTheirProgram() {
    CompiledModel model = model();
    model.run(inputs(3, 4));
    model.run(inputs(4, 3));
    model.run(inputs(3, 4));
    assertEquals(2, model.specializations());
    assertArrayEquals(new long[] {4, 3}, compiled.get(1));
  }

  @Test
  void beyondItsLimitTheLeastRecentlyRunProgramIsDroppedAndCompiledAgainWhenItReturns() {
    CompiledModel model = new CompiledModel(List.of(X, SHAPE), List.of(Y), Map.of("shape", WHY),
        this::reshape, ParallelExecutor.withThreads(1), 2);
    model.run(inputs(3, 4));
    model.run(inputs(4, 3));
    model.run(inputs(3, 4)); // (3, 4) is now the most recently run
    model.run(inputs(2, 6)); // drops (4, 3)
    assertEquals(2, model.specializations());
    assertEquals(1, model.evictions());
    model.run(inputs(3, 4)); // kept: no compile
    assertEquals(3, compiled.size());
    Tensor again = model.run(inputs(4, 3)).get("y"); // dropped: compiled again, still right
    assertArrayEquals(new long[] {4, 3}, again.shape());
    assertEquals(11.0, again.getDouble(11));
    assertEquals(4, compiled.size());
    assertEquals(2, model.specializations());
  }

  @Test
  void aModelKeepsAtLeastOneProgram() {
    assertThrows(IllegalArgumentException.class, () -> new CompiledModel(List.of(X, SHAPE),
        List.of(Y), Map.of("shape", WHY), this::reshape, ParallelExecutor.withThreads(1), 0));
  }

  @Test
  void aTooLargeValueInputIsRefusedNamingItAndItsReader() {
    long[] many = new long[CompiledModel.MAX_SPECIALIZED_ELEMENTS + 1];
    CompiledModel model = new CompiledModel(List.of(X, new Value("shape", TensorType.of(DType.I64,
        many.length))), List.of(Y), Map.of("shape", WHY), this::reshape,
        ParallelExecutor.withThreads(1));
    RunException e = assertThrows(RunException.class, () -> model.run(inputs(many)));
    assertEquals("input %shape has 65 elements, but its values decide shapes (input 1 of Reshape"
        + " node 'r' reads it at compile time), so the compiled engine compiles code for its"
        + " values, which it does for inputs of at most 64 elements; make it a constant of the"
        + " model, or run with the interpreter engine", e.getMessage());
    assertEquals(0, model.specializations());
  }

  @Test
  void inputsAreCheckedBeforeTheirValuesAreRead() {
    RunException e = assertThrows(RunException.class, () -> model().run(Map.of("x",
        inputs(3, 4).get("x"))));
    assertEquals("missing input %shape (i64[2])", e.getMessage());
  }

  @Test
  void aModelOfShapesOnlyGetsNoValues() {
    List<Map<String, Tensor>> asked = new ArrayList<>();
    CompiledModel model = new CompiledModel(List.of(X, SHAPE), List.of(Y), (shapes, values) -> {
      asked.add(values);
      return reshape(shapes, Map.of("shape", Tensor.ofLongs(new long[] {2}, 12, 1)));
    }, ParallelExecutor.withThreads(1));
    model.run(inputs(3, 4));
    model.run(inputs(4, 3));
    assertEquals(List.of(Map.of()), asked);
    assertEquals(1, model.specializations());
  }

  /** y = 2 x for any shape of x, counting the programs made. */
  private static CompiledModel doubling(List<long[]> made) {
    Value x = new Value("x", TensorType.of(DType.F32, dev.kiln.ir.type.Dim.UNKNOWN, dev.kiln.ir.type.Dim.UNKNOWN));
    return new CompiledModel(List.of(x), List.of(Y), (shapes, values) -> {
      long[] shape = shapes.get("x");
      made.add(shape);
      Buffer in = Buffer.of("x", DType.F32, BufferRole.INPUT, shape);
      Buffer out = Buffer.of("y", DType.F32, BufferRole.OUTPUT, shape);
      FrameLayout layout = new FrameLayout(ImmutableList.of(new FrameLayout.Slot(in, 0),
          new FrameLayout.Slot(out, 0)), ImmutableMap.of());
      CompiledProgram twice = frame -> {
        float[] a = frame.floats(0);
        float[] b = frame.floats(1);
        for (int i = 0; i < b.length; i++) {
          b[i] = 2 * a[i];
        }
      };
      return new ExecutableProgram(twice, layout, Map.of());
    }, ParallelExecutor.withThreads(1));
  }

  @Test
  void repeatedShapesReuseTheProgramAndEachRunHasItsOwnInputsAndOutputs() {
    // Inputs are copied into arrays the program keeps between runs, outputs handed out as the
    // arrays the kernels wrote: a later run must change neither an earlier run's result nor
    // read an earlier run's input.
    List<long[]> made = new ArrayList<>();
    CompiledModel model = doubling(made);
    Tensor first = model.run(Map.of("x", Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6))).get("y");
    Tensor second = model.run(Map.of("x", Tensor.ofFloats(new long[] {2, 3}, 6, 5, 4, 3, 2, 1))).get("y");
    Tensor other = model.run(Map.of("x", Tensor.ofFloats(new long[] {3, 2}, 1, 1, 1, 1, 1, 1))).get("y");
    Tensor third = model.run(Map.of("x", Tensor.ofFloats(new long[] {2, 3}, 0, 0, 0, 0, 0, 7))).get("y");
    assertEquals(Tensor.ofFloats(new long[] {2, 3}, 2, 4, 6, 8, 10, 12), first);
    assertEquals(Tensor.ofFloats(new long[] {2, 3}, 12, 10, 8, 6, 4, 2), second);
    assertEquals(Tensor.ofFloats(new long[] {3, 2}, 2, 2, 2, 2, 2, 2), other);
    assertEquals(Tensor.ofFloats(new long[] {2, 3}, 0, 0, 0, 0, 0, 14), third);
    assertEquals(2, made.size());
    assertEquals(2, model.specializations());
  }

  @Test
  void aRunAfterGoodOnesIsCheckedInFullWhenItsInputsDiffer() {
    // A run with the last run's names, types and shapes skips the checks; any difference must
    // still get every problem named.
    CompiledModel model = doubling(new ArrayList<>());
    Tensor x = Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6);
    model.run(Map.of("x", x));
    model.run(Map.of("x", x));
    RunException wrongType = assertThrows(RunException.class,
        () -> model.run(Map.of("x", Tensor.ofLongs(new long[] {2, 3}, 1, 2, 3, 4, 5, 6))));
    assertEquals(List.of("input %x has element type i64 but is declared f32[?, ?]"), wrongType.problems());
    RunException unknown = assertThrows(RunException.class, () -> model.run(Map.of("x", x, "z", x)));
    assertEquals(List.of("unknown input %z; the graph's inputs are %x"), unknown.problems());
    RunException missing = assertThrows(RunException.class, () -> model.run(Map.of("z", x)));
    assertEquals(2, missing.problems().size(), missing.problems().toString());
    assertEquals(Tensor.ofFloats(new long[] {2, 3}, 2, 4, 6, 8, 10, 12), model.run(Map.of("x", x)).get("y"));
  }

  @Test
  void anOutputOfAnotherShapeThanDeclaredIsRefusedOnEveryRun() {
    // The output check runs until a run with these shapes passed it: a run that failed it must
    // not let the next one through unchecked.
    Value x = new Value("x", TensorType.of(DType.F32, 2, 3));
    Value y = new Value("y", TensorType.of(DType.F32, 3, 2));
    CompiledModel model = new CompiledModel(List.of(x), List.of(y), (shapes, values) -> {
      Buffer in = Buffer.of("x", DType.F32, BufferRole.INPUT, 2, 3);
      Buffer out = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 2, 3);
      FrameLayout layout = new FrameLayout(ImmutableList.of(new FrameLayout.Slot(in, 0),
          new FrameLayout.Slot(out, 0)), ImmutableMap.of());
      return new ExecutableProgram(frame -> { }, layout, Map.of());
    }, ParallelExecutor.withThreads(1));
    Map<String, Tensor> in = Map.of("x", Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6));
    for (int run = 0; run < 2; run++) {
      RunException e = assertThrows(RunException.class, () -> model.run(in));
      assertEquals(List.of("graph output %y dim 0 is 2 but is declared 3 (f32[3, 2])"), e.problems());
    }
  }
}
