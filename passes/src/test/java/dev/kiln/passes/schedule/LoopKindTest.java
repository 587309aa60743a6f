package dev.kiln.passes.schedule;

import static dev.kiln.passes.schedule.ScheduleChecks.assertFails;
import static dev.kiln.passes.schedule.ScheduleChecks.assertScheduled;

import dev.kiln.ir.loop.Var;
import org.junit.jupiter.api.Test;

/** vectorize, parallelize, unroll: they change how a loop runs, not what it does. */
class LoopKindTest {
  @Test
  void annotationsChangeOnlyTheLoopKind() {
    // Rule: the loop keeps its variable, extent and body; only its kind changes.
    assertScheduled(Fixtures.biasRelu(2, 3, 8), s -> {
      s.parallelize("i");
      s.unroll("j");
      s.vectorize("k");
    }, """
        kernel bias_relu @"Add+Relu"(in %x, in %b, out %y) {
          parallel for i in 0..2 {
            unrolled for j in 0..3 {
              vectorized for k in 0..8 {
                %y[i, j, k] = max((%x[i, j, k] + %b[k]), 0.0:f32)
              }
            }
          }
        }
        """);
  }

  @Test
  void anInPlaceReductionVectorizesAcrossItsOutputColumns() {
    // Rule: c[i, j] += a[i, k] * w[k, j] with k outermost: j lanes write distinct elements.
    assertScheduled(Fixtures.matmulInPlace(3, 4, 8), s -> {
      s.reorder("k", "i");
      s.reorder("i", "j");
      s.vectorize("j");
      s.parallelize("j0");
    }, """
        kernel matmul_acc @"MatMul"(in %a, const %w, out %c) {
          for i0 in 0..3 {
            parallel for j0 in 0..8 {
              %c[i0, j0] = 0.0:f32
            }
          }
          for k in 0..4 {
            for i in 0..3 {
              vectorized for j in 0..8 {
                %c[i, j] = (%c[i, j] + (%a[i, k] * %w[k, j]))
              }
            }
          }
        }
        """);
  }

  @Test
  void aReductionIntoALocalVectorizesByLanes() {
    // Rule: acc = max(acc, x[i, k]) over a row carries acc, but each lane can keep its own
    // partial maximum (combined after the loop): precondition 4 admits a lone f32 reduction step.
    dev.kiln.ir.loop.Buffer x = dev.kiln.ir.loop.Buffer.of("x", dev.kiln.ir.type.DType.F32,
        dev.kiln.ir.loop.BufferRole.INPUT, 2, 8);
    dev.kiln.ir.loop.Buffer y = dev.kiln.ir.loop.Buffer.of("y", dev.kiln.ir.type.DType.F32,
        dev.kiln.ir.loop.BufferRole.OUTPUT, 2);
    dev.kiln.ir.loop.Local m = new dev.kiln.ir.loop.Local("m", dev.kiln.ir.type.DType.F32);
    dev.kiln.ir.loop.Stmt body = dev.kiln.ir.loop.Stmt.Block.of(
        new dev.kiln.ir.loop.Stmt.Let(m, Fixtures.f32(Double.NEGATIVE_INFINITY)),
        Fixtures.loop(Fixtures.K, 8, new dev.kiln.ir.loop.Stmt.Assign(m, Fixtures.bin(
            dev.kiln.ir.loop.BinaryOp.MAX, m, dev.kiln.ir.loop.Exprs.load(x, Fixtures.I, Fixtures.K)))),
        Fixtures.store(y, m, Fixtures.I));
    dev.kiln.ir.loop.Kernel k = new dev.kiln.ir.loop.Kernel("row_max",
        com.google.common.collect.ImmutableList.of(x, y), Fixtures.loop(Fixtures.I, 2, body), "ReduceMax");
    assertScheduled(k, s -> s.vectorize("k"), """
        kernel row_max @"ReduceMax"(in %x, out %y) {
          for i in 0..2 {
            let $m: f32 = -Infinity:f32
            vectorized for k in 0..8 {
              $m = max($m, %x[i, k])
            }
            %y[i] = $m
          }
        }
        """);
  }

  @Test
  void vectorizePreconditions() {
    Schedule s = Schedule.of(Fixtures.matmul(3, 4, 5));
    assertFails(s, ScheduleError.UNKNOWN_LOOP,
        "vectorize(q) in kernel matmul: precondition 1: there is no loop q (loops: i, j, k)", x -> x.vectorize("q"));
    s.unroll("k");
    assertFails(s, ScheduleError.LOOP_NOT_SERIAL,
        "vectorize(k) in kernel matmul: precondition 2: loop k is already unrolled", x -> x.vectorize("k"));
    assertFails(s, ScheduleError.NOT_INNERMOST,
        "vectorize(j) in kernel matmul: precondition 3: loop j contains another loop", x -> x.vectorize("j"));
    // (An f32 sum into a local is a lane reduction, allowed; an integer one is not.)
    assertFails(Schedule.of(Fixtures.matmulOf(dev.kiln.ir.type.DType.I32, 3, 4, 5)), ScheduleError.DEPENDENCE,
        "vectorize(k) in kernel matmul: precondition 4: local $acc is assigned in one iteration of k and used in the next",
        x -> x.vectorize("k"));
    assertFails(Schedule.of(Fixtures.rowSum(2, 3, 4)), ScheduleError.DEPENDENCE,
        "vectorize(k) in kernel row_sum: precondition 5: different iterations of k may write the same element %y[i]",
        x -> x.vectorize("k"));
    Schedule t = Schedule.of(Fixtures.biasRelu(2, 3, 4));
    t.reorder("k", "j");
    assertFails(t, ScheduleError.NOT_CONTIGUOUS,
        "vectorize(j) in kernel bias_relu: precondition 6: access %y[i, j, k] does not use j as the unit-stride last index",
        x -> x.vectorize("j"));
  }

  @Test
  void parallelizePreconditions() {
    Schedule s = Schedule.of(Fixtures.matmul(3, 4, 5));
    assertFails(s, ScheduleError.UNKNOWN_LOOP,
        "parallelize(q) in kernel matmul: precondition 1: there is no loop q (loops: i, j, k)",
        x -> x.parallelize("q"));
    s.unroll("k");
    assertFails(s, ScheduleError.LOOP_NOT_SERIAL,
        "parallelize(k) in kernel matmul: precondition 2: loop k is already unrolled", x -> x.parallelize("k"));
    s.parallelize("j");
    assertFails(s, ScheduleError.NESTED_PARALLEL,
        "parallelize(i) in kernel matmul: precondition 3: loop j is already parallel", x -> x.parallelize("i"));
    assertFails(Schedule.of(Fixtures.matmul(3, 4, 5)), ScheduleError.DEPENDENCE,
        "parallelize(k) in kernel matmul: precondition 4: local $acc is assigned in one iteration of k and used in the next",
        x -> x.parallelize("k"));
    assertFails(Schedule.of(Fixtures.rowSum(2, 3, 4)), ScheduleError.DEPENDENCE,
        "parallelize(j) in kernel row_sum: precondition 5: different iterations of j may write the same element %y[i]",
        x -> x.parallelize("j"));
  }

  @Test
  void aNonInjectiveIndexIsADependence() {
    // Rule: y[i + j] is the same element for (i, j) and (i + 1, j - 1), so i carries a dependence.
    Schedule s = Schedule.of(Fixtures.polyMul(4, 3));
    assertFails(s, ScheduleError.DEPENDENCE,
        "parallelize(i) in kernel poly_mul: precondition 5: different iterations of i may write the same element %y[(i + j)]",
        x -> x.parallelize("i"));
    assertFails(s, ScheduleError.DEPENDENCE,
        "reorder(j, i) in kernel poly_mul: precondition 5: loops [i, j] carry dependences and would be "
            + "reordered to [j, i]: different iterations of i may write the same element %y[(i + j)]",
        x -> x.reorder("j", "i"));
    // For one i, though, the j iterations write distinct elements: j may be vectorized.
    s.vectorize("j");
    ScheduleChecks.assertLegal(s, java.util.Map.of(), "");
  }

  @Test
  void unrollPreconditions() {
    Schedule s = Schedule.of(Fixtures.biasRelu(2, 3, 65));
    assertFails(s, ScheduleError.UNKNOWN_LOOP,
        "unroll(q) in kernel bias_relu: precondition 1: there is no loop q (loops: i, j, k)", x -> x.unroll("q"));
    s.parallelize("i");
    assertFails(s, ScheduleError.LOOP_NOT_SERIAL,
        "unroll(i) in kernel bias_relu: precondition 2: loop i is already parallel", x -> x.unroll("i"));
    assertFails(s, ScheduleError.BAD_ARGUMENT,
        "unroll(k) in kernel bias_relu: precondition 3: loop k has extent 65; at most 64 can be unrolled",
        x -> x.unroll("k"));
  }

  @Test
  void splitAndFusedIndicesStillProveIndependence() {
    // Rule: i.o * 4 + i.i is injective (4 > 3 * 1), floordiv/floormod of one fused loop determine it.
    assertScheduled(Fixtures.biasRelu(3, 5, 8), s -> {
      Var fused = s.fuse("i", "j");
      Schedule.SplitLoops f = s.split(fused, 4);
      s.parallelize(f.outer());
      Schedule.SplitLoops k = s.split("k", 4);
      s.unroll(k.outer());
      s.vectorize(k.inner());
    }, """
        kernel bias_relu @"Add+Relu"(in %x, in %b, out %y) {
          parallel for i_j.o in 0..4 {
            for i_j.i in 0..4 {
              if (((i_j.o * 4) + i_j.i) < 15) {
                unrolled for k.o in 0..2 {
                  vectorized for k.i in 0..4 {
                    %y[floordiv(((i_j.o * 4) + i_j.i), 5), floormod(((i_j.o * 4) + i_j.i), 5), ((k.o * 4) + k.i)] = max((%x[floordiv(((i_j.o * 4) + i_j.i), 5), floormod(((i_j.o * 4) + i_j.i), 5), ((k.o * 4) + k.i)] + %b[((k.o * 4) + k.i)]), 0.0:f32)
                  }
                }
              }
            }
          }
        }
        """);
  }
}
