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
  /** y = x + the i32 input z (as floats): every element of both inputs read from its copy. */
  private static ExecutableProgram sum(int n) {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, n);
    Buffer z = Buffer.of("z", DType.I32, BufferRole.INPUT, n);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, n);
    FrameLayout layout = new FrameLayout(ImmutableList.of(new FrameLayout.Slot(y, 0), new FrameLayout.Slot(x, 0),
        new FrameLayout.Slot(z, 0)), ImmutableMap.of());
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
}
