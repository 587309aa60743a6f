package dev.kiln.passes.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopVerifier;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Assertions every schedule test makes: verified IR, unchanged results, a replayable trace. */
final class ScheduleChecks {
  private ScheduleChecks() {}

  /** Applies the primitives, checks the printed result and everything a schedule must keep. */
  static Schedule assertScheduled(Kernel kernel, Consumer<Schedule> primitives, String expected) {
    Schedule s = Schedule.of(kernel);
    primitives.accept(s);
    assertEquals(expected, s.kernel().toString());
    assertLegal(s, Map.of(), "");
    return s;
  }

  /** Verifier-clean, same outputs as the original on random inputs, trace round trip. */
  static void assertLegal(Schedule s, Map<String, Kernel> producers, String context) {
    assertEquals(List.of(), LoopVerifier.verify(s.kernel()), context);
    for (long seed = 1; seed <= 2; seed++) {
      Map<String, dev.kiln.ir.tensor.Tensor> expected = Fixtures.run(s.original(), seed);
      assertEquals(expected, Fixtures.run(s.kernel(), seed),
          "results changed " + context + "\n" + s.trace() + s.kernel());
      assertEquals(expected, Fixtures.run(Fixtures.reversingIndependentLoops(s.kernel()), seed),
          "results depend on the order of parallel or vectorized iterations " + context + "\n" + s.trace() + s.kernel());
    }
    assertTraceRoundTrip(s, producers, context);
  }

  /** Like TVM's verify_trace_roundtrip: print, parse, replay on the original, same kernel. */
  static void assertTraceRoundTrip(Schedule s, Map<String, Kernel> producers, String context) {
    String text = s.trace().toString();
    Trace parsed = Trace.parse(text);
    assertEquals(s.trace(), parsed, context);
    assertEquals(text, parsed.toString(), context);
    assertEquals(s.kernel(), parsed.replay(s.original(), producers).kernel(), context + "\n" + text);
  }

  /** The primitive fails with this kind and exact message, and leaves the schedule unchanged. */
  static void assertFails(Schedule s, ScheduleError kind, String message, Consumer<Schedule> primitive) {
    Kernel before = s.kernel();
    Trace traceBefore = s.trace();
    ScheduleException e = assertThrows(ScheduleException.class, () -> primitive.accept(s));
    assertEquals(message, e.getMessage());
    assertEquals(kind, e.kind());
    assertEquals(before, s.kernel());
    assertEquals(traceBefore, s.trace());
  }
}
