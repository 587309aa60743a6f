package dev.kiln.passes.schedule;

import static dev.kiln.ir.loop.Exprs.load;
import static dev.kiln.passes.schedule.Fixtures.I;
import static dev.kiln.passes.schedule.Fixtures.J;
import static dev.kiln.passes.schedule.Fixtures.K;
import static dev.kiln.passes.schedule.Fixtures.bin;
import static dev.kiln.passes.schedule.Fixtures.f32;
import static dev.kiln.passes.schedule.Fixtures.loop;
import static dev.kiln.passes.schedule.Fixtures.store;
import static dev.kiln.passes.schedule.ScheduleChecks.assertFails;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Intrinsic;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.LoopVerifier;
import dev.kiln.ir.type.DType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ComputeAtTest {
  static final Buffer X = Buffer.of("x", DType.F32, BufferRole.INPUT, 3, 4);
  static final Buffer T = Buffer.of("t", DType.F32, BufferRole.SCRATCH, 3, 4);
  static final Buffer B = Buffer.of("b", DType.F32, BufferRole.INPUT, 4);
  static final Buffer Y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 4, 3);

  /** {@code t[p, q] = exp(x[p, q])}. */
  static Kernel producer() {
    var p = new dev.kiln.ir.loop.Var("p");
    var q = new dev.kiln.ir.loop.Var("q");
    return new Kernel("exp", ImmutableList.of(X, T),
        loop(p, 3, loop(q, 4, store(T, Exprs.call(Intrinsic.EXP, load(X, p, q)), p, q))), "Exp");
  }

  /** {@code y[i, j] = t[j, i] + b[i]}: a transpose plus a bias. */
  static Kernel consumer() {
    return new Kernel("transpose_add", ImmutableList.of(T, B, Y),
        loop(I, 4, loop(J, 3, store(Y, bin(BinaryOp.ADD, load(T, J, I), load(B, I)), I, J))), "Add");
  }

  @Test
  void computeAtInlinesTheProducerAtEachUse() {
    // Rule: t[e0, e1] inside the loop becomes the producer's value with p, q := e0, e1.
    Schedule s = Schedule.of(consumer());
    s.computeAt(producer(), "j");
    assertEquals("""
        kernel transpose_add @"Add"(in %b, out %y, in %x) {
          for i in 0..4 {
            for j in 0..3 {
              %y[i, j] = (exp(%x[j, i]) + %b[i])
            }
          }
        }
        """, s.kernel().toString());
    assertEquals("compute_at(exp, j)\n", s.trace().toString());
    LoopProgram before = Fixtures.program(1, producer(), consumer());
    LoopProgram after = before.withKernels(ImmutableList.of(producer(), s.kernel()));
    assertEquals(List.of(), LoopVerifier.verify(after));
    assertEquals(Fixtures.run(before, 7), Fixtures.run(after, 7));
    ScheduleChecks.assertTraceRoundTrip(s, Map.of("exp", producer()), "");
  }

  @Test
  void preconditions() {
    Schedule s = Schedule.of(consumer());
    assertFails(s, ScheduleError.UNKNOWN_LOOP,
        "compute_at(exp, q) in kernel transpose_add: precondition 1: there is no loop q (loops: i, j)",
        x -> x.computeAt(producer(), "q"));
    Kernel toOutput = new Kernel("relu", ImmutableList.of(X, Y), loop(I, 4, loop(J, 3,
        store(Y, f32(0), I, J))), "Relu");
    assertFails(s, ScheduleError.PRODUCER_CONFLICT,
        "compute_at(relu, j) in kernel transpose_add: precondition 2: producer relu must store into exactly "
            + "one scratch buffer, but stores into out %y", x -> x.computeAt(toOutput, "j"));
    Buffer other = Buffer.of("u", DType.F32, BufferRole.SCRATCH, 3, 4);
    Kernel unused = new Kernel("u", ImmutableList.of(other), loop(I, 3, loop(J, 4, store(other, f32(1), I, J))), "");
    assertFails(s, ScheduleError.PRODUCER_CONFLICT,
        "compute_at(u, j) in kernel transpose_add: precondition 2: loop j does not read %u, which producer u stores",
        x -> x.computeAt(unused, "j"));
    Kernel transposed = new Kernel("tr", ImmutableList.of(X, T),
        loop(I, 3, loop(J, 4, store(T, load(X, I, J), I, Exprs.sub(Exprs.index(3), J)))), "");
    assertFails(s, ScheduleError.PRODUCER_NOT_ELEMENTWISE,
        "compute_at(tr, j) in kernel transpose_add: precondition 3: producer tr is not one loop per dim of %t "
            + "around a single store %t[loop variables]", x -> x.computeAt(transposed, "j"));
    Kernel writesT = new Kernel("w", ImmutableList.of(T, B, Y), dev.kiln.ir.loop.Stmt.Block.of(
        loop(I, 3, loop(J, 4, store(T, f32(2), I, J))),
        loop(K, 4, loop(J, 3, store(Y, load(T, J, K), K, J)))), "");
    assertFails(Schedule.of(writesT), ScheduleError.PRODUCER_CONFLICT,
        "compute_at(exp, k) in kernel w: precondition 4: the consumer writes %t", x -> x.computeAt(producer(), "k"));
    Kernel readsY = new Kernel("ry", ImmutableList.of(Y, T), loop(I, 3, loop(J, 4,
        store(T, load(Y, J, I), I, J))), "");
    assertFails(s, ScheduleError.PRODUCER_CONFLICT,
        "compute_at(ry, j) in kernel transpose_add: precondition 5: the producer's value %y[j, i] reads %y[j, i], "
            + "which the consumer writes", x -> x.computeAt(readsY, "j"));
  }
}
