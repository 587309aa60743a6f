package dev.kiln.passes.schedule;

import static dev.kiln.passes.schedule.ScheduleChecks.assertFails;
import static dev.kiln.passes.schedule.ScheduleChecks.assertScheduled;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.type.DType;
import org.junit.jupiter.api.Test;

class TileFuseTest {
  @Test
  void tileSplitsBothLoopsAndInterchangesTheMiddle() {
    // Rule: tile(i, j, a, b) = split i by a, split j by b, reorder to i.o, j.o, i.i, j.i.
    Schedule s = assertScheduled(Fixtures.matmul(4, 3, 5), x -> x.tile("i", "j", 2, 3), """
        kernel matmul @"MatMul"(in %a, const %w, out %c) {
          for i.o in 0..2 {
            for j.o in 0..2 {
              for i.i in 0..2 {
                for j.i in 0..3 {
                  if (((j.o * 3) + j.i) < 5) {
                    let $acc: f32 = 0.0:f32
                    for k in 0..3 {
                      $acc = ($acc + (%a[((i.o * 2) + i.i), k] * %w[k, ((j.o * 3) + j.i)]))
                    }
                    %c[((i.o * 2) + i.i), ((j.o * 3) + j.i)] = $acc
                  }
                }
              }
            }
          }
        }
        """);
    assertEquals("tile(i, j, 2, 3) -> i.o, j.o, i.i, j.i\n", s.trace().toString());
  }

  @Test
  void fuseFlattensTwoLoops() {
    // Rule: fuse(i, j) = one loop over Ei * Ej with i = floordiv(f, Ej), j = floormod(f, Ej).
    assertScheduled(Fixtures.biasRelu(2, 3, 4), s -> s.fuse("i", "j"), """
        kernel bias_relu @"Add+Relu"(in %x, in %b, out %y) {
          for i_j in 0..6 {
            for k in 0..4 {
              %y[floordiv(i_j, 3), floormod(i_j, 3), k] = max((%x[floordiv(i_j, 3), floormod(i_j, 3), k] + %b[k]), 0.0:f32)
            }
          }
        }
        """);
  }

  @Test
  void fusingWithAUnitLoopNeedsNoDivision() {
    // Rule: when the outer loop has extent 1, outer = 0 and inner = the fused variable.
    assertScheduled(Fixtures.biasRelu(1, 3, 4), s -> s.fuse("i", "j"), """
        kernel bias_relu @"Add+Relu"(in %x, in %b, out %y) {
          for i_j in 0..3 {
            for k in 0..4 {
              %y[0, i_j, k] = max((%x[0, i_j, k] + %b[k]), 0.0:f32)
            }
          }
        }
        """);
  }

  @Test
  void tilePreconditions() {
    Schedule s = Schedule.of(Fixtures.matmul(4, 3, 5));
    assertFails(s, ScheduleError.UNKNOWN_LOOP,
        "tile(i, q, 2, 2) in kernel matmul: precondition 1: there is no loop q (loops: i, j, k)",
        x -> x.tile("i", "q", 2, 2));
    assertFails(s, ScheduleError.DUPLICATE_LOOP,
        "tile(i, i, 2, 2) in kernel matmul: precondition 2: loop i is given twice", x -> x.tile("i", "i", 2, 2));
    assertFails(s, ScheduleError.NOT_PERFECTLY_NESTED,
        "tile(j, k, 2, 2) in kernel matmul: precondition 3: loop k is not the whole body of loop j",
        x -> x.tile("j", "k", 2, 2));
    assertFails(s, ScheduleError.BAD_ARGUMENT,
        "tile(i, j, 2, 0) in kernel matmul: precondition 4: the factors must be at least 1, got 2 and 0",
        x -> x.tile("i", "j", 2, 0));
    Schedule u = Schedule.of(Fixtures.matmul(4, 3, 5));
    u.unroll("j");
    assertFails(u, ScheduleError.LOOP_NOT_SERIAL,
        "tile(i, j, 2, 2) in kernel matmul: precondition 5: loop j is already unrolled",
        x -> x.tile("i", "j", 2, 2));
    Schedule sum = Schedule.of(Fixtures.rowSum(2, 3, 4));
    assertFails(sum, ScheduleError.DEPENDENCE,
        "tile(j, k, 2, 2) in kernel row_sum: precondition 6: loops [j.o, j.i, k.o, k.i] carry dependences "
            + "and would be reordered to [j.o, k.o, j.i, k.i]: different iterations of j.i may write the same element %y[i]",
        x -> x.tile("j", "k", 2, 2));
  }

  @Test
  void fusePreconditions() {
    Schedule s = Schedule.of(Fixtures.matmul(4, 3, 5));
    assertFails(s, ScheduleError.UNKNOWN_LOOP,
        "fuse(q, j) in kernel matmul: precondition 1: there is no loop q (loops: i, j, k)", x -> x.fuse("q", "j"));
    assertFails(s, ScheduleError.NOT_PERFECTLY_NESTED,
        "fuse(j, k) in kernel matmul: precondition 2: loop k is not the whole body of loop j", x -> x.fuse("j", "k"));
    Schedule p = Schedule.of(Fixtures.matmul(4, 3, 5));
    p.parallelize("i");
    assertFails(p, ScheduleError.LOOP_NOT_SERIAL,
        "fuse(i, j) in kernel matmul: precondition 3: loop i is already parallel", x -> x.fuse("i", "j"));
    // Loop extents are not bounded by buffer sizes (a guarded loop may run past them).
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 1);
    Kernel huge = new Kernel("huge", ImmutableList.of(y), Fixtures.loop(Fixtures.I, 1L << 16,
        Fixtures.loop(Fixtures.J, 1L << 16, Fixtures.store(y, Fixtures.f32(0), Exprs.index(0)))), "");
    assertFails(Schedule.of(huge), ScheduleError.BAD_ARGUMENT,
        "fuse(i, j) in kernel huge: precondition 4: the fused extent 65536 * 65536 does not fit in i32",
        x -> x.fuse("i", "j"));
  }
}
