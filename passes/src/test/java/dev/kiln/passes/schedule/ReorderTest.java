package dev.kiln.passes.schedule;

import static dev.kiln.passes.schedule.ScheduleChecks.assertFails;
import static dev.kiln.passes.schedule.ScheduleChecks.assertScheduled;

import org.junit.jupiter.api.Test;

class ReorderTest {
  @Test
  void reorderPermutesAPerfectNest() {
    // Rule: the given loops take their own positions in the order given; others stay.
    assertScheduled(Fixtures.biasRelu(2, 3, 4), s -> s.reorder("k", "i"), """
        kernel bias_relu @"Add+Relu"(in %x, in %b, out %y) {
          for k in 0..4 {
            for j in 0..3 {
              for i in 0..2 {
                %y[i, j, k] = max((%x[i, j, k] + %b[k]), 0.0:f32)
              }
            }
          }
        }
        """);
  }

  @Test
  void reductionLoopsMayMoveOutwardKeepingTheirOrder() {
    // Rule: k carries the accumulation into c[i, j]; it may move as long as it is the only one.
    assertScheduled(Fixtures.matmulInPlace(3, 4, 5), s -> s.reorder("k", "i"), """
        kernel matmul_acc @"MatMul"(in %a, const %w, out %c) {
          for i0 in 0..3 {
            for j0 in 0..5 {
              %c[i0, j0] = 0.0:f32
            }
          }
          for k in 0..4 {
            for j in 0..5 {
              for i in 0..3 {
                %c[i, j] = (%c[i, j] + (%a[i, k] * %w[k, j]))
              }
            }
          }
        }
        """);
  }

  @Test
  void guardsMoveWithTheLoopsTheyTest() {
    // Rule: a split's guard sits just inside the innermost loop it tests after a reorder; k and
    // j.o swap the positions they hold (outermost and innermost of the nest j.o, j.i, k).
    assertScheduled(Fixtures.biasRelu(1, 5, 4), s -> {
      s.split("j", 2);
      s.reorder("k", "j.o");
    }, """
        kernel bias_relu @"Add+Relu"(in %x, in %b, out %y) {
          for i in 0..1 {
            for k in 0..4 {
              for j.i in 0..2 {
                for j.o in 0..3 {
                  if (((j.o * 2) + j.i) < 5) {
                    %y[i, ((j.o * 2) + j.i), k] = max((%x[i, ((j.o * 2) + j.i), k] + %b[k]), 0.0:f32)
                  }
                }
              }
            }
          }
        }
        """);
  }

  @Test
  void preconditions() {
    Schedule s = Schedule.of(Fixtures.matmul(3, 4, 5));
    assertFails(s, ScheduleError.UNKNOWN_LOOP,
        "reorder(j, q) in kernel matmul: precondition 1: there is no loop q (loops: i, j, k)",
        x -> x.reorder("j", "q"));
    assertFails(s, ScheduleError.DUPLICATE_LOOP,
        "reorder(j, j) in kernel matmul: precondition 2: a loop is given twice", x -> x.reorder("j", "j"));
    assertFails(s, ScheduleError.BAD_ARGUMENT,
        "reorder(j) in kernel matmul: precondition 2: give at least two loops", x -> x.reorder("j"));
    assertFails(s, ScheduleError.NOT_PERFECTLY_NESTED,
        "reorder(k, j) in kernel matmul: precondition 3: loops k, j are not one perfect nest",
        x -> x.reorder("k", "j"));
    s.unroll("k");
    s.parallelize("i");
    assertFails(s, ScheduleError.LOOP_NOT_SERIAL,
        "reorder(j, i) in kernel matmul: precondition 4: loop i is already parallel", x -> x.reorder("j", "i"));
    Schedule sum = Schedule.of(Fixtures.rowSum(2, 3, 4));
    assertFails(sum, ScheduleError.DEPENDENCE,
        "reorder(k, j) in kernel row_sum: precondition 5: loops [j, k] carry dependences and would be "
            + "reordered to [k, j]: different iterations of j may write the same element %y[i]",
        x -> x.reorder("k", "j"));
  }
}
