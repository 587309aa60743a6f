package dev.kiln.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.compiled.WarmUp;
import dev.kiln.runtime.interpreter.RunException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@link Model#warmUp}: it runs the model, stops within its budget, and changes no result. */
@Tag("compile")
class WarmUpTest {
  private static final String MLP = """
      kiln 1
      model m(%x: f32[N, 8]) -> (%y: f32[N, 4]) {
        const %w: f32[8, 4] = [0.5, -1, 2, 0.25, 1, 1, -1, 0, 0, 2, 1, -0.5, -2, 0.5, 0, 1,
                               0.1, 0.2, 0.3, 0.4, 1, -1, 1, -1, 3, 0, -3, 0, 0.5, 0.5, 0.5, 0.5]
        %h = MatMul(%x, %w)
        %y = Relu(%h)
      }
      """;

  private static final String RESHAPE = """
      kiln 1
      model m(%x: f32[2, 6], %shape: i64[2]) -> (%y: f32[?, ?]) {
        "r": %y = Reshape(%x, %shape)
      }
      """;

  private static Model compiled(String text, int threads) {
    return Kiln.fromString(text, Path.of("."), ModelOptions.defaults().withThreads(threads));
  }

  private static Tensor input() {
    float[] data = new float[3 * 8];
    for (int i = 0; i < data.length; i++) {
      data[i] = (i % 7) - 3.5f;
    }
    return Tensor.ofFloats(new long[] {3, 8}, data);
  }

  private static float[] floats(Tensor t) {
    return t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
  }

  @Test
  void aWarmUpRunsTheModelAndChangesNoResult() {
    for (int threads : new int[] {1, 2}) {
      Model model = compiled(MLP, threads);
      Map<String, Tensor> in = Map.of("x", input());
      float[] before = floats(model.run(in).get("y"));
      WarmUp w = model.warmUp(in, Duration.ofMillis(300));
      assertTrue(w.runs() >= 1, w.describe());
      assertTrue(!w.settled() || w.runs() >= WarmUp.DEFAULT_MIN_RUNS, w.describe());
      assertTrue(w.bestRunNanos() > 0 && w.nanos() >= w.firstRunNanos(), w.describe());
      assertArrayEquals(before, floats(model.run(in).get("y")), "threads " + threads);
      // ...and the same as a model that was never warmed up.
      assertArrayEquals(before, floats(compiled(MLP, threads).run(in).get("y")));
    }
  }

  @Test
  void aZeroBudgetMakesOneRun() {
    Model model = compiled(MLP, 1);
    WarmUp w = model.warmUp(Map.of("x", input()), Duration.ZERO);
    assertEquals(1, w.runs());
    assertTrue(w.describe().startsWith("warm-up: 1 runs in "), w.describe());
  }

  @Test
  void syntheticInputsBindSymbolicDimsToOne() {
    Model model = compiled(MLP, 1);
    WarmUp w = model.warmUp(Duration.ofMillis(100));
    assertTrue(w.runs() >= 1);
    assertEquals(1, model.compileLog().size(), "one program, for N = 1: " + model.compileLog());
    assertTrue(model.compileLog().getFirst().contains("%x[1, 8]"), model.compileLog().getFirst());
  }

  @Test
  void mistakesAreNamed() {
    Model model = compiled(MLP, 1);
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> model.warmUp(Map.of("x", input()), Duration.ofMillis(-1)));
    assertTrue(negative.getMessage().contains("must not be negative"), negative.getMessage());
    RunException wrongInput = assertThrows(RunException.class,
        () -> model.warmUp(Map.of("z", input()), Duration.ZERO));
    assertTrue(wrongInput.getMessage().contains("unknown input %z"), wrongInput.getMessage());
    IllegalStateException synthetic = assertThrows(IllegalStateException.class,
        () -> compiled(RESHAPE, 1).warmUp(Duration.ZERO));
    assertTrue(synthetic.getMessage().contains("%shape") && synthetic.getMessage().contains("Reshape"),
        synthetic.getMessage());
  }
}
