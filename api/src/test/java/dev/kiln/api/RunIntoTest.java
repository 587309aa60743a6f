package dev.kiln.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.interpreter.RunException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Model#runInto}: outputs written into the caller's memory are bit for bit what
 * {@link Model#run} returns, on every engine and every kind of destination, whatever the
 * destination held before; wrong destinations are refused with every problem named.
 */
@Tag("compile")
class RunIntoTest {
  /** Two outputs, one an intermediate of the other, and a symbolic batch. */
  private static final String MODEL = """
      kiln 1
      model m(%x: f32[N, 8]) -> (%y: f32[N, 4], %h: f32[N, 4]) {
        const %w: f32[8, 4] = [0.5, -1, 2, 0.25, 1, 1, -1, 0, 0, 2, 1, -0.5, -2, 0.5, 0, 1,
                               0.1, 0.2, 0.3, 0.4, 1, -1, 1, -1, 3, 0, -3, 0, 0.5, 0.5, 0.5, 0.5]
        %h = MatMul(%x, %w)
        %y = Relu(%h)
      }
      """;

  @TempDir Path dir;

  private static Model model(ModelOptions options) {
    return Kiln.fromString(MODEL, Path.of("."), options);
  }

  private static List<Model> everyEngine() {
    return List.of(
        model(new ModelOptions(ModelOptions.Engine.INTERPRETER)),
        model(ModelOptions.defaults().withThreads(1)),
        model(ModelOptions.defaults().withThreads(2)),
        model(ModelOptions.defaults().withOptimizationLevel(0)));
  }

  private static Tensor input(int rows, float shift) {
    float[] data = new float[rows * 8];
    for (int i = 0; i < data.length; i++) {
      data[i] = (i % 7) - 3.5f + shift;
    }
    return Tensor.ofFloats(new long[] {rows, 8}, data);
  }

  private static float[] floats(Tensor t) {
    return t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
  }

  private static float[] floats(MemorySegment s) {
    return s.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
  }

  @Test
  void inputsOverJavaArraysGiveWhatCopiedInputsGiveAndStayAsTheyWere() {
    // Read in place by the compiled engines (no kernel writes %x): the same bits as an input
    // over other memory, and the caller's array untouched.
    for (Model m : everyEngine()) {
      Tensor copied = input(3, 0.25f);
      float[] x = floats(copied);
      float[] before = x.clone();
      Tensor inPlace = Tensor.wrap(dev.kiln.ir.type.DType.F32, new long[] {3, 8}, MemorySegment.ofArray(x));
      Map<String, Tensor> expected = m.run(Map.of("x", copied));
      for (int run = 0; run < 2; run++) {
        Map<String, Tensor> got = m.run(Map.of("x", inPlace));
        assertArrayEquals(floats(expected.get("y")), floats(got.get("y")), m.options().toString());
        assertArrayEquals(floats(expected.get("h")), floats(got.get("h")), m.options().toString());
      }
      assertArrayEquals(before, x);
      assertEquals(true, m.run(Map.of("x", inPlace)).get("y").array().isPresent() || m.options().engine()
          == ModelOptions.Engine.INTERPRETER, "a compiled model's output is a whole array, for the next model");
    }
  }

  /** A float[] of n elements full of NaN: what a destination held before must not show. */
  private static float[] garbage(int n) {
    float[] a = new float[n];
    Arrays.fill(a, Float.NaN);
    return a;
  }

  @Test
  void heapArraysOfEveryEngineGetWhatRunReturns() {
    for (Model model : everyEngine()) {
      for (int rows : new int[] {3, 5, 3}) {
        Map<String, Tensor> in = Map.of("x", input(rows, rows));
        Map<String, Tensor> expected = model.run(in);
        float[] y = garbage(rows * 4);
        float[] h = garbage(rows * 4);
        model.runInto(in, Map.of("y", MemorySegment.ofArray(y), "h", MemorySegment.ofArray(h)));
        String what = model.options().engine() + " rows " + rows;
        assertArrayEquals(floats(expected.get("y")), y, what);
        assertArrayEquals(floats(expected.get("h")), h, what);
      }
    }
  }

  @Test
  void offHeapSegmentsAndSlicesGetACopyAndNothingAround() {
    for (Model model : everyEngine()) {
      Map<String, Tensor> in = Map.of("x", input(3, 0));
      Map<String, Tensor> expected = model.run(in);
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment y = arena.allocate(12 * 4L, 64);
        y.fill((byte) 0x7f);
        // h: a slice in the middle of a bigger array, whose elements around it must stay.
        float[] big = garbage(20);
        MemorySegment h = MemorySegment.ofArray(big).asSlice(4 * 4L, 12 * 4L);
        model.runInto(in, Map.of("y", y, "h", h));
        assertArrayEquals(floats(expected.get("y")), floats(y));
        assertArrayEquals(floats(expected.get("h")), Arrays.copyOfRange(big, 4, 16));
        for (int i : new int[] {0, 1, 2, 3, 16, 17, 18, 19}) {
          assertEquals(Float.NaN, big[i], "element " + i + " outside the destination");
        }
      }
    }
  }

  @Test
  void anArtifactWritesIntoTheCallersArrays() throws Exception {
    Path jar = dir.resolve("m.jar");
    Model source = model(ModelOptions.defaults());
    ArtifactCompiler.compile(source, Map.of("x", new long[] {3, 8}), jar);
    Model artifact = Kiln.load(jar);
    Map<String, Tensor> in = Map.of("x", input(3, 1));
    Map<String, Tensor> expected = artifact.run(in);
    float[] y = garbage(12);
    MemorySegment h = Arena.ofAuto().allocate(48);
    artifact.runInto(in, Map.of("y", MemorySegment.ofArray(y), "h", h));
    assertArrayEquals(floats(expected.get("y")), y);
    assertArrayEquals(floats(expected.get("h")), floats(h));
  }

  @Test
  void concurrentRunsIntoTheirOwnDestinations() throws Exception {
    Model model = model(ModelOptions.defaults().withThreads(2));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        final float shift = t;
        done.add(pool.submit(() -> {
          Map<String, Tensor> in = Map.of("x", input(4, shift));
          Map<String, Tensor> expected = model.run(in);
          // Off-heap destinations take the path through the program's own arrays.
          MemorySegment y = Arena.ofAuto().allocate(64);
          float[] h = garbage(16);
          for (int i = 0; i < 20; i++) {
            model.runInto(in, Map.of("y", y, "h", MemorySegment.ofArray(h)));
            assertArrayEquals(floats(expected.get("y")), floats(y), "shift " + shift);
            assertArrayEquals(floats(expected.get("h")), h, "shift " + shift);
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void wrongDestinationsAreRefusedWithEveryProblem() {
    for (Model model : everyEngine()) {
      Map<String, Tensor> in = Map.of("x", input(3, 0));
      String engine = String.valueOf(model.options().engine());

      RunException names = assertThrows(RunException.class, () -> model.runInto(in,
          Map.of("y", MemorySegment.ofArray(new float[12]), "z", MemorySegment.ofArray(new float[12]))));
      assertEquals(List.of("no output %z; the model's outputs are %y, %h", "no destination for output %h"),
          names.problems(), engine);

      float[] shared = new float[24];
      Map<String, MemorySegment> bad = new LinkedHashMap<>();
      bad.put("y", MemorySegment.ofArray(new float[13]));
      bad.put("h", MemorySegment.ofArray(new float[12]).asReadOnly());
      RunException sizes = assertThrows(RunException.class, () -> model.runInto(in, bad));
      assertEquals(List.of("output %y is f32[3, 4], 48 bytes; its destination has 52 bytes",
          "output %h: its destination is read-only"), sizes.problems(), engine);

      RunException overlap = assertThrows(RunException.class, () -> model.runInto(in, Map.of(
          "y", MemorySegment.ofArray(shared).asSlice(0, 48), "h", MemorySegment.ofArray(shared).asSlice(40, 48))));
      assertEquals(List.of("outputs %y and %h: their destinations overlap"), overlap.problems(), engine);

      // An input problem is named as run() names it, before any destination is looked at.
      RunException input = assertThrows(RunException.class, () -> model.runInto(Map.of(), Map.of()));
      assertEquals(assertThrows(RunException.class, () -> model.run(Map.of())).problems(), input.problems(), engine);
    }
  }
}
