package dev.kiln.passes.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.LoopVerifier;
import java.util.List;
import org.junit.jupiter.api.Test;

class SchedulerTest {
  static final ScheduleOptions OPTIONS = ScheduleOptions.withLanes(4);

  @Test
  void aFunctionRegisteredForAnOpTypeReplacesTheDefault() {
    Scheduler scheduler = Scheduler.defaults(OPTIONS).withOp("MatMul", k -> {
      Schedule s = Schedule.of(k);
      s.split("k", 2);
      return s;
    });
    assertEquals("split(k, 2) -> k.o, k.i\n", scheduler.schedule(Fixtures.matmul(2, 4, 3)).trace().toString());
    assertEquals("fuse(i, j) -> i_j\nvectorize(k)\nparallelize(i_j)\n",
        scheduler.schedule(Fixtures.biasRelu(2, 2, 3)).trace().toString());
  }

  @Test
  void aKernelNameWinsOverItsOpType() {
    Scheduler scheduler = Scheduler.defaults(OPTIONS)
        .withOp("MatMul", k -> Schedule.of(k))
        .withKernel("matmul", k -> {
          Schedule s = Schedule.of(k);
          s.unroll("k");
          return s;
        });
    assertEquals("unroll(k)\n", scheduler.schedule(Fixtures.matmul(2, 4, 3)).trace().toString());
    assertEquals("MatMul", Scheduler.opType(Fixtures.matmul(1, 1, 1)));
  }

  @Test
  void applyingToAProgramKeepsItsResults() {
    LoopProgram p = Fixtures.program(9, Fixtures.matmul(6, 5, 9));
    LoopProgram scheduled = Scheduler.defaults(OPTIONS).apply(p);
    assertEquals(List.of(), LoopVerifier.verify(scheduled));
    assertEquals(Fixtures.run(p, 2), Fixtures.run(scheduled, 2));
    assertEquals("accumulate_in_place(j)\nfission(j) -> j, j2\nfission(i) -> i, i2\nreorder(k, j2)\n"
        + "vectorize(j2)\nvectorize(j)\nparallelize(i)\nparallelize(i2)\n",
        Scheduler.defaults(OPTIONS).schedules(p).get("matmul").trace().toString());
  }

  @Test
  void aFunctionMustScheduleTheKernelItIsGiven() {
    Scheduler wrong = Scheduler.defaults(OPTIONS).withKernel("matmul", k -> Schedule.of(Fixtures.biasRelu(1, 1, 1)));
    ScheduleException e = assertThrows(ScheduleException.class, () -> wrong.schedule(Fixtures.matmul(2, 2, 2)));
    assertEquals("the schedule function for kernel matmul returned a schedule of another kernel (bias_relu); "
        + "it must return Schedule.of(kernel) with primitives applied", e.getMessage());
    assertEquals(ScheduleError.WRONG_KERNEL, e.kind());
    Scheduler refusing = Scheduler.defaults(OPTIONS).withKernel("matmul", k -> {
      Schedule s = Schedule.of(k);
      s.vectorize("j");
      return s;
    });
    e = assertThrows(ScheduleException.class, () -> refusing.schedule(Fixtures.matmul(2, 2, 2)));
    assertEquals("vectorize(j) in kernel matmul: precondition 3: loop j contains another loop", e.getMessage());
  }

  @Test
  void optionsAreChecked() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ScheduleOptions(0, 4, 8, true, 4));
    assertEquals("schedule options out of range: 0 lanes, tile 4 x 8, unroll up to 4 (lanes and tiles must be "
        + "at least 1, unrolling at most 64)", e.getMessage());
  }
}
