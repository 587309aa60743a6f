package dev.kiln.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.passes.schedule.Schedule;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A custom schedule given through ModelOptions replaces the default one and keeps results. */
class CustomScheduleTest {
  static final String MODEL = """
      model mm(%a: f32[5, 3], %b: f32[5, 3]) -> (%c: f32[5, 3]) {
        %c = Mul(%a, %b)
      }
      """;

  @Test
  void customScheduleIsUsedForItsOperatorType() {
    AtomicInteger calls = new AtomicInteger();
    ModelOptions options = ModelOptions.defaults().withSchedule("Mul", kernel -> {
      calls.incrementAndGet();
      Schedule s = Schedule.of(kernel);
      // Split the outermost loop by 2 (5 is not a multiple: the split adds a guard).
      s.split(outermost(kernel.body()).var().name(), 2);
      return s;
    });
    Tensor a = Tensor.ofFloats(new long[] {5, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    Tensor b = Tensor.ofFloats(new long[] {5, 3}, 1, 0, 2, -1, 0, 1, 1, 2, 3, -2, 0, 1, 4, 5, 6);
    Tensor custom = Kiln.fromString(MODEL, java.nio.file.Path.of("."), options)
        .run(Map.of("a", a, "b", b)).get("c");
    Tensor reference = Kiln.fromString(MODEL, java.nio.file.Path.of("."),
        ModelOptions.defaults().withEngine(ModelOptions.Engine.INTERPRETER))
        .run(Map.of("a", a, "b", b)).get("c");
    assertTrue(calls.get() > 0, "the custom schedule was never asked for");
    assertArrayEquals(reference.toFloatArray(), custom.toFloatArray());
  }

  private static Stmt.For outermost(Stmt s) {
    return switch (s) {
      case Stmt.For f -> f;
      case Stmt.Block b -> b.stmts().stream().filter(Stmt.For.class::isInstance).map(Stmt.For.class::cast)
          .findFirst().orElseThrow();
      default -> throw new AssertionError("no loop in " + s);
    };
  }
}
