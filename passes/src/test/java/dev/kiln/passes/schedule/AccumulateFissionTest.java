package dev.kiln.passes.schedule;

import static dev.kiln.ir.loop.Exprs.index;
import static dev.kiln.ir.loop.Exprs.load;
import static dev.kiln.passes.schedule.Fixtures.I;
import static dev.kiln.passes.schedule.Fixtures.K;
import static dev.kiln.passes.schedule.Fixtures.bin;
import static dev.kiln.passes.schedule.Fixtures.loop;
import static dev.kiln.passes.schedule.Fixtures.store;
import static dev.kiln.passes.schedule.ScheduleChecks.assertFails;
import static dev.kiln.passes.schedule.ScheduleChecks.assertScheduled;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.type.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccumulateFissionTest {
  @Test
  void accumulateInPlaceStoresEveryPartialResult() {
    // Rule: let acc = init; R; c[..] = acc  ->  c[..] = init; R with acc read and written as c[..].
    assertScheduled(Fixtures.matmul(2, 3, 4), s -> s.accumulateInPlace("j"), """
        kernel matmul @"MatMul"(in %a, const %w, out %c) {
          for i in 0..2 {
            for j in 0..4 {
              %c[i, j] = 0.0:f32
              for k in 0..3 {
                %c[i, j] = (%c[i, j] + (%a[i, k] * %w[k, j]))
              }
            }
          }
        }
        """);
  }

  @Test
  void fissionDistributesALoopOverItsStatements() {
    // Rule: for j { S1; S2 } -> for j { S1 }; for j2 { S2 } when iterations are independent.
    Schedule s = assertScheduled(Fixtures.matmul(2, 3, 4), x -> {
      x.accumulateInPlace("j");
      assertEquals(List.of("j", "j2"), x.fission("j").stream().map(v -> v.name()).toList());
      x.fission("i");
    }, """
        kernel matmul @"MatMul"(in %a, const %w, out %c) {
          for i in 0..2 {
            for j in 0..4 {
              %c[i, j] = 0.0:f32
            }
          }
          for i2 in 0..2 {
            for j2 in 0..4 {
              for k in 0..3 {
                %c[i2, j2] = (%c[i2, j2] + (%a[i2, k] * %w[k, j2]))
              }
            }
          }
        }
        """);
    assertEquals("accumulate_in_place(j)\nfission(j) -> j, j2\nfission(i) -> i, i2\n", s.trace().toString());
  }

  /** {@code s[0] += x[i]; p[i] = s[0]}: a running sum, which fission would break. */
  static Kernel runningSum() {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, 5);
    Buffer sum = Buffer.of("s", DType.F32, BufferRole.OUTPUT, 1);
    Buffer p = Buffer.of("p", DType.F32, BufferRole.OUTPUT, 5);
    return new Kernel("running_sum", ImmutableList.of(x, sum, p), Stmt.Block.of(
        store(sum, Fixtures.f32(0), index(0)),
        loop(I, 5, Stmt.Block.of(
            store(sum, bin(BinaryOp.ADD, load(sum, index(0)), load(x, I)), index(0)),
            store(p, load(sum, index(0)), I)))), "CumSum");
  }

  @Test
  void accumulateInPlacePreconditions() {
    Schedule s = Schedule.of(Fixtures.matmul(2, 3, 4));
    assertFails(s, ScheduleError.UNKNOWN_LOOP,
        "accumulate_in_place(q) in kernel matmul: precondition 1: there is no loop q (loops: i, j, k)",
        x -> x.accumulateInPlace("q"));
    assertFails(s, ScheduleError.NOT_AN_ACCUMULATION,
        "accumulate_in_place(i) in kernel matmul: precondition 2: the body of loop i is not "
            + "`let $acc = init`, a loop, and `buffer[index] = $acc`", x -> x.accumulateInPlace("i"));
    Buffer a = Buffer.of("a", DType.F32, BufferRole.INPUT, 3);
    Buffer c = Buffer.of("c", DType.F32, BufferRole.OUTPUT, 3);
    Local acc = new Local("acc", DType.F32);
    Kernel readsOutput = new Kernel("reads_output", ImmutableList.of(a, c), loop(I, 3, Stmt.Block.of(
        new Stmt.Let(acc, Fixtures.f32(0)),
        loop(K, 3, new Stmt.Assign(acc, bin(BinaryOp.ADD, acc, load(c, K)))),
        store(c, acc, I))), "");
    assertFails(Schedule.of(readsOutput), ScheduleError.NOT_AN_ACCUMULATION,
        "accumulate_in_place(i) in kernel reads_output: precondition 3: the reduction loop k accesses %c",
        x -> x.accumulateInPlace("i"));
  }

  @Test
  void fissionPreconditions() {
    Schedule s = Schedule.of(Fixtures.matmul(2, 3, 4));
    assertFails(s, ScheduleError.UNKNOWN_LOOP,
        "fission(q) in kernel matmul: precondition 1: there is no loop q (loops: i, j, k)", x -> x.fission("q"));
    assertFails(s, ScheduleError.NOT_DISTRIBUTABLE,
        "fission(i) in kernel matmul: precondition 2: the body of loop i is not a block of two or more "
            + "statements free of let and assignments", x -> x.fission("i"));
    assertFails(s, ScheduleError.NOT_DISTRIBUTABLE,
        "fission(j) in kernel matmul: precondition 2: the body of loop j is not a block of two or more "
            + "statements free of let and assignments", x -> x.fission("j"));
    s.accumulateInPlace("j");
    s.parallelize("j");
    assertFails(s, ScheduleError.LOOP_NOT_SERIAL,
        "fission(j) in kernel matmul: precondition 3: loop j is already parallel", x -> x.fission("j"));
    assertFails(Schedule.of(runningSum()), ScheduleError.DEPENDENCE,
        "fission(i) in kernel running_sum: precondition 4: different iterations of i may write the same "
            + "element %s[0]", x -> x.fission("i"));
  }
}
