package dev.kiln.runtime.compiled;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExecutableProgramTest {
  /** A layout of these buffers as slots in order, none of them scratch. */
  private static FrameLayout slots(Buffer... buffers) {
    return new FrameLayout(java.util.Arrays.stream(buffers).map(b -> new FrameLayout.Slot(b, 0))
        .collect(ImmutableList.toImmutableList()), ImmutableMap.of());
  }

  /** y = x + the i32 input z (as floats): every element of both inputs read from its copy. */
  private static ExecutableProgram sum(int n) {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, n);
    Buffer z = Buffer.of("z", DType.I32, BufferRole.INPUT, n);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, n);
    FrameLayout layout = slots(y, x, z);
    CompiledProgram add = frame -> {
      float[] out = frame.floats(0);
      float[] a = frame.floats(1);
      int[] b = frame.ints(2);
      for (int i = 0; i < out.length; i++) {
        out[i] = a[i] + b[i];
      }
    };
    return new ExecutableProgram(add, layout, Map.of());
  }

  private static Map<String, Tensor> inputs(int n, int seed) {
    float[] x = new float[n];
    int[] z = new int[n];
    for (int i = 0; i < n; i++) {
      x[i] = i * 0.5f + seed;
      z[i] = (i * 7 + seed) % 1000;
    }
    return Map.of("x", Tensor.ofFloats(new long[] {n}, x), "z", Tensor.ofInts(new long[] {n}, z));
  }

  /**
   * Inputs below and above the size whose copy is offered to the executor, odd sizes (a partial
   * last piece), on 1, 2 and 3 threads, twice each (the copies are reused arrays): every element
   * copied, each run's output its own.
   */
  @Test
  void largeInputsAreCopiedWholeOnAnyThreadCount() {
    for (int n : new int[] {1000, ExecutableProgram.PARALLEL_COPY_ELEMENTS, 300_007}) {
      ExecutableProgram program = sum(n);
      for (ParallelExecutor ex : List.of(ParallelExecutor.serial(), ParallelExecutor.withThreads(2),
          ParallelExecutor.withThreads(3, 0))) {
        for (int seed = 1; seed <= 2; seed++) {
          float[] y = program.run(inputs(n, seed), ex).get("y").toFloatArray();
          assertEquals(n, y.length);
          for (int i = 0; i < n; i += 1 + i / 1000) {
            assertEquals(i * 0.5f + seed + (i * 7 + seed) % 1000, y[i], "element " + i + " of " + n);
          }
          assertEquals((n - 1) * 0.5f + seed + ((n - 1) * 7 + seed) % 1000, y[n - 1]);
        }
      }
    }
  }

  @Test
  void aMissingOrMisshapedInputIsNamed() {
    ExecutableProgram program = sum(8);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> program.run(Map.of("x", Tensor.ofFloats(new long[] {8}, new float[8])), ParallelExecutor.serial()));
    assertTrue(e.getMessage().contains("input %z") || e.getMessage().contains("z"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> program.run(Map.of("x",
        Tensor.ofFloats(new long[] {4}, new float[4]), "z", Tensor.ofInts(new long[] {8}, new int[8])),
        ParallelExecutor.serial()));
    assertTrue(e.getMessage().contains("got"), e.getMessage());
    assertArrayEquals(new long[] {8}, program.run(inputs(8, 1), ParallelExecutor.serial()).get("y").shape());
  }

  /**
   * y = 2 x, and with {@code writesX} x doubled in place first (y = x after): a program whose
   * kernels write an input. Records the array the kernel found in x's slot.
   */
  private static ExecutableProgram doubling(int n, boolean writesX, List<Object> seen) {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, n);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, n);
    FrameLayout layout = slots(x, y);
    CompiledProgram twice = frame -> {
      float[] a = frame.floats(0);
      float[] out = frame.floats(1);
      seen.add(a);
      for (int i = 0; i < n; i++) {
        if (writesX) {
          a[i] *= 2;
          out[i] = a[i];
        } else {
          out[i] = 2 * a[i];
        }
      }
    };
    return new ExecutableProgram(twice, layout, Map.of(), List.of(), writesX ? java.util.Set.of(x, y) : java.util.Set.of(y));
  }

  @Test
  void anInputOverAWholeArrayIsReadInPlaceUnlessAKernelWritesIt() {
    float[] data = {1, 2, 3, 4};
    Tensor x = Tensor.wrap(DType.F32, new long[] {4}, java.lang.foreign.MemorySegment.ofArray(data));
    List<Object> seen = new java.util.ArrayList<>();
    ExecutableProgram reads = doubling(4, false, seen);
    for (int run = 0; run < 2; run++) {
      assertArrayEquals(new float[] {2, 4, 6, 8}, reads.run(Map.of("x", x), ParallelExecutor.serial()).get("y").toFloatArray());
      assertTrue(seen.get(run) == data, "run " + run + " read a copy");
    }
    // Over native memory, or a part of an array: copied.
    java.lang.foreign.MemorySegment off = java.lang.foreign.Arena.ofAuto().allocate(16);
    java.lang.foreign.MemorySegment.copy(data, 0, off, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, 4);
    Tensor nativeX = Tensor.wrap(DType.F32, new long[] {4}, off);
    assertArrayEquals(new float[] {2, 4, 6, 8}, reads.run(Map.of("x", nativeX), ParallelExecutor.serial()).get("y").toFloatArray());
    Tensor slice = Tensor.wrap(DType.F32, new long[] {4},
        java.lang.foreign.MemorySegment.ofArray(new float[] {9, 1, 2, 3, 4}).asSlice(4));
    assertArrayEquals(new float[] {2, 4, 6, 8}, reads.run(Map.of("x", slice), ParallelExecutor.serial()).get("y").toFloatArray());
    assertTrue(seen.get(2) != data && seen.get(3) != data && seen.get(2) == seen.get(3), "the arena's copy, reused");
    // A program that writes x: the caller's array is never written.
    List<Object> seenW = new java.util.ArrayList<>();
    ExecutableProgram writes = doubling(4, true, seenW);
    for (int run = 0; run < 2; run++) {
      assertArrayEquals(new float[] {2, 4, 6, 8}, writes.run(Map.of("x", x), ParallelExecutor.serial()).get("y").toFloatArray());
    }
    assertArrayEquals(new float[] {1, 2, 3, 4}, data);
    assertTrue(seenW.get(0) != data);
    // Without the program's writes known (an artifact's, say), every input is copied.
    List<Object> seenU = new java.util.ArrayList<>();
    Buffer bx = Buffer.of("x", DType.F32, BufferRole.INPUT, 4);
    Buffer by = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 4);
    ExecutableProgram unknown = new ExecutableProgram(frame -> seenU.add(frame.floats(0)),
        slots(bx, by),
        Map.of());
    unknown.run(Map.of("x", x), ParallelExecutor.serial());
    assertTrue(seenU.get(0) != data);
  }

  @Test
  void anInputArrayThatIsAlsoTheOutputsDestinationIsCopiedFirst() {
    // runInto writing y into the very array x is read from: x is copied, so y = 2 x of the
    // values before the run.
    float[] data = {1, 2, 3, 4};
    Tensor x = Tensor.wrap(DType.F32, new long[] {4}, java.lang.foreign.MemorySegment.ofArray(data));
    List<Object> seen = new java.util.ArrayList<>();
    ExecutableProgram reads = doubling(4, false, seen);
    reads.runInto(Map.of("x", x), ParallelExecutor.serial(), List.of(java.lang.foreign.MemorySegment.ofArray(data)));
    assertArrayEquals(new float[] {2, 4, 6, 8}, data);
    assertTrue(seen.get(0) != data);
  }

  @Test
  void aTensorKnowsTheWholeArrayItWraps() {
    float[] f = {1, 2};
    assertTrue(Tensor.wrap(DType.F32, new long[] {2}, java.lang.foreign.MemorySegment.ofArray(f)).array().orElseThrow() == f);
    assertTrue(Tensor.wrap(DType.F32, new long[] {1}, java.lang.foreign.MemorySegment.ofArray(f).asSlice(0, 4)).array().isEmpty());
    assertTrue(Tensor.wrap(DType.F32, new long[] {2}, java.lang.foreign.MemorySegment.ofArray(f).asReadOnly()).array().isEmpty());
    assertTrue(Tensor.wrap(DType.F32, new long[] {2}, java.lang.foreign.Arena.ofAuto().allocate(8)).array().isEmpty());
    // Bytes as floats: the array is the bytes; the engine checks its type against the storage's.
    byte[] b = new byte[8];
    assertTrue(Tensor.wrap(DType.F32, new long[] {2}, java.lang.foreign.MemorySegment.ofArray(b)).array().orElseThrow() == b);
  }

  /**
   * y = x * w for a float constant w: the kernel reads w at its frame offset, and records whether
   * that element lay on a cache line during the run.
   */
  private static ExecutableProgram scaleByConstant(int n, float[] w, List<Long> lines) {
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, n);
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, n);
    Buffer wb = Buffer.of("w", DType.F32, BufferRole.CONSTANT, n);
    FrameLayout layout = slots(y, x, wb);
    CompiledProgram scale = frame -> {
      float[] out = frame.floats(0);
      float[] a = frame.floats(1);
      float[] c = frame.floats(2);
      int o = frame.offset(2);
      synchronized (lines) {
        lines.add((HeapAddresses.firstElement(c) + 4L * o) % 64);
      }
      for (int i = 0; i < out.length; i++) {
        out[i] = a[i] * c[o + i];
      }
    };
    return new ExecutableProgram(scale, layout, Map.of(wb, Tensor.ofFloats(new long[] {n}, w)));
  }

  @Test
  void floatConstantsLieOnACacheLineAndAreMovedBackAfterTheCollectorMovesThem() {
    org.junit.jupiter.api.Assumptions.assumeTrue(HeapAddresses.firstElement(new float[1]) >= 0,
        "no native access: constants stay where the heap put them");
    int n = 1000;
    float[] w = new float[n];
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = i * 0.5f - 7;
      x[i] = (i % 13) - 6;
    }
    List<Long> lines = new java.util.ArrayList<>();
    ExecutableProgram program = scaleByConstant(n, w, lines);
    for (int round = 0; round < 6; round++) {
      float[] y = program.run(Map.of("x", Tensor.ofFloats(new long[] {n}, x)), ParallelExecutor.serial())
          .get("y").toFloatArray();
      for (int i = 0; i < n; i++) {
        assertEquals(x[i] * w[i], y[i], 0f, "round " + round + ", element " + i);
      }
      // Young collections move a fresh array (to survivor space, then the old generation): the
      // next run finds it off its line and moves the data back within the array.
      System.gc();
    }
    // A collection may move the array during a run (then that run is merely slower); most runs
    // start with it on a line.
    assertTrue(lines.stream().filter(l -> l == 0).count() >= 4, lines.toString());
  }

  @Test
  void concurrentRunsReadEveryConstantIntactWhileItIsMovedWithinItsArray() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(HeapAddresses.firstElement(new float[1]) >= 0,
        "no native access: nothing is moved");
    int n = 50_000;
    float[] w = new float[n];
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = (i % 101) - 50;
      x[i] = (i % 7) + 1;
    }
    ExecutableProgram program = scaleByConstant(n, w, new java.util.ArrayList<>());
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    Thread collector = new Thread(() -> {
      while (!done.get()) {
        System.gc();
        Thread.onSpinWait();
      }
    });
    collector.start();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
    try {
      List<java.util.concurrent.Future<Integer>> wrong = new java.util.ArrayList<>();
      for (int t = 0; t < 3; t++) {
        wrong.add(pool.submit(() -> {
          int bad = 0;
          for (int r = 0; r < 60; r++) {
            float[] y = program.run(Map.of("x", Tensor.ofFloats(new long[] {n}, x)), ParallelExecutor.serial())
                .get("y").toFloatArray();
            for (int i = 0; i < n; i++) {
              bad += y[i] == x[i] * w[i] ? 0 : 1;
            }
          }
          return bad;
        }));
      }
      for (java.util.concurrent.Future<Integer> f : wrong) {
        assertEquals(0, f.get());
      }
    } finally {
      done.set(true);
      collector.join();
      pool.shutdown();
    }
  }

  @Test
  void floatScratchBuffersStartOnACacheLineInEveryRun() {
    org.junit.jupiter.api.Assumptions.assumeTrue(HeapAddresses.firstElement(new float[1]) >= 0,
        "no native access: the arena stays where the heap put it");
    int n = 100;
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, n);
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, n);
    Buffer t = Buffer.of("t", DType.F32, BufferRole.SCRATCH, n);
    // t planned 32 floats into the arena (a multiple of a line, as MemoryPlanner places buffers).
    FrameLayout layout = new FrameLayout(ImmutableList.of(new FrameLayout.Slot(y, 0), new FrameLayout.Slot(x, 0),
        new FrameLayout.Slot(t, 32)), ImmutableMap.of(Storage.FLOAT, 32 + n));
    List<Long> lines = new java.util.ArrayList<>();
    CompiledProgram twicePlusOne = frame -> {
      float[] out = frame.floats(0);
      float[] a = frame.floats(1);
      float[] s = frame.floats(2);
      int o = frame.offset(2);
      lines.add((HeapAddresses.firstElement(s) + 4L * o) % 64);
      for (int i = 0; i < n; i++) {
        s[o + i] = 2 * a[i];
      }
      for (int i = 0; i < n; i++) {
        out[i] = s[o + i] + 1;
      }
    };
    ExecutableProgram program = new ExecutableProgram(twicePlusOne, layout, Map.of());
    float[] xv = new float[n];
    for (int i = 0; i < n; i++) {
      xv[i] = i - 40;
    }
    for (int round = 0; round < 5; round++) {
      float[] out = program.run(Map.of("x", Tensor.ofFloats(new long[] {n}, xv)), ParallelExecutor.serial())
          .get("y").toFloatArray();
      for (int i = 0; i < n; i++) {
        assertEquals(2 * xv[i] + 1, out[i], 0f);
      }
      System.gc();
    }
    assertTrue(lines.stream().filter(l -> l == 0).count() >= 4, lines.toString());
  }
}
