package dev.kiln.passes.schedule;

import static dev.kiln.passes.schedule.ScheduleChecks.assertFails;
import static dev.kiln.passes.schedule.ScheduleChecks.assertScheduled;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SplitTest {
  @Test
  void splitByADivisorNeedsNoGuard() {
    // Rule: i -> i.o * f + i.i with extents E / f and f when f divides E.
    Schedule s = assertScheduled(Fixtures.biasRelu(2, 3, 8), x -> x.split("k", 4), """
        kernel bias_relu @"Add+Relu"(in %x, in %b, out %y) {
          for i in 0..2 {
            for j in 0..3 {
              for k.o in 0..2 {
                for k.i in 0..4 {
                  %y[i, j, ((k.o * 4) + k.i)] = max((%x[i, j, ((k.o * 4) + k.i)] + %b[((k.o * 4) + k.i)]), 0.0:f32)
                }
              }
            }
          }
        }
        """);
    assertEquals("split(k, 4) -> k.o, k.i\n", s.trace().toString());
  }

  @Test
  void splitByANonDivisorGuardsTheTail() {
    // Rule: when f does not divide E the outer extent rounds up and the body runs only below E.
    assertScheduled(Fixtures.biasRelu(1, 1, 7), x -> x.split("k", 3), """
        kernel bias_relu @"Add+Relu"(in %x, in %b, out %y) {
          for i in 0..1 {
            for j in 0..1 {
              for k.o in 0..3 {
                for k.i in 0..3 {
                  if (((k.o * 3) + k.i) < 7) {
                    %y[i, j, ((k.o * 3) + k.i)] = max((%x[i, j, ((k.o * 3) + k.i)] + %b[((k.o * 3) + k.i)]), 0.0:f32)
                  }
                }
              }
            }
          }
        }
        """);
  }

  @Test
  void splittingTwiceTakesFreshNames() {
    // Rule: a derived name already taken gets a number appended.
    Schedule s = Schedule.of(Fixtures.biasRelu(1, 1, 8));
    s.split("k", 4);
    Schedule.SplitLoops again = s.split("k.o", 1);
    assertEquals("k.o.o", again.outer().name());
    s.fuse("k.o.o", "k.o.i");
    assertEquals("k.o.o_k.o.i", s.trace().steps().getLast() instanceof TraceStep.Fuse f ? f.fused() : "");
    ScheduleChecks.assertLegal(s, java.util.Map.of(), "");
  }

  @Test
  void preconditions() {
    Schedule s = Schedule.of(Fixtures.biasRelu(2, 3, 8));
    assertFails(s, ScheduleError.UNKNOWN_LOOP,
        "split(q, 2) in kernel bias_relu: precondition 1: there is no loop q (loops: i, j, k)",
        x -> x.split("q", 2));
    assertFails(s, ScheduleError.BAD_ARGUMENT,
        "split(k, 0) in kernel bias_relu: precondition 2: the factor must be at least 1, got 0",
        x -> x.split("k", 0));
    s.parallelize("i");
    assertFails(s, ScheduleError.LOOP_NOT_SERIAL,
        "split(i, 2) in kernel bias_relu: precondition 3: loop i is already parallel",
        x -> x.split("i", 2));
  }
}
