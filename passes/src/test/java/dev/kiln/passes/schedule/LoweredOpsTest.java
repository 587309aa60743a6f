package dev.kiln.passes.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.LoopVerifier;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import dev.kiln.passes.lower.GraphToLoops;
import dev.kiln.passes.lower.LoweringRegistry;
import dev.kiln.passes.lower.linalg.LinalgLowerings;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Schedules on kernels as {@link GraphToLoops} lowers real operators. */
class LoweredOpsTest {
  static final ScheduleOptions OPTIONS = ScheduleOptions.withLanes(4);

  static Tensor random(Random r, long... shape) {
    TensorWriter w = TensorWriter.of(DType.F32, shape);
    for (long i = 0; i < w.size(); i++) {
      w.setDouble(i, r.nextGaussian());
    }
    return w.build();
  }

  static TensorType f32(long... shape) {
    return TensorType.of(DType.F32, shape);
  }

  /** MatMul and Gemm as loop nests (not the intrinsic), which these tests schedule. */
  static final LoweringRegistry LOOPS = LoweringRegistry.standard().replacing(LinalgLowerings.loops());

  static LoopProgram lowerAsLoops(Graph g) {
    return GraphToLoops.lower(g, LOOPS);
  }

  /** {@code relu(x @ w + b)}: MatMul, Add with a broadcast bias, Relu. */
  static Graph dense(Random r) {
    GraphBuilder g = Graph.builder("dense");
    Value x = g.input("x", f32(5, 6));
    Value w = g.constant("w", random(r, 6, 10));
    Value b = g.constant("b", random(r, 10));
    Value h = g.node("MatMul", List.of(x, w), f32(5, 10), Attributes.EMPTY);
    Value hb = g.node("Add", List.of(h, b), f32(5, 10), Attributes.EMPTY);
    g.output(g.node("Relu", List.of(hb), f32(5, 10), Attributes.EMPTY));
    return g.build();
  }

  /** A padded, strided convolution, relu, softmax over the last axis and a spatial mean. */
  static Graph convNet(Random r) {
    GraphBuilder g = Graph.builder("conv_net");
    Value x = g.input("x", f32(1, 2, 7, 7));
    Value w = g.constant("w", random(r, 3, 2, 3, 3));
    Value b = g.constant("b", random(r, 3));
    Value c = g.node("Conv", List.of(x, w, b), f32(1, 3, 4, 4), Attributes.builder()
        .putInts("pads", 1, 1, 1, 1).putInts("strides", 2, 2).build());
    Value a = g.node("Relu", List.of(c), f32(1, 3, 4, 4), Attributes.EMPTY);
    Value s = g.node("Softmax", List.of(a), f32(1, 3, 4, 4), Attributes.builder().put("axis", -1L).build());
    g.output(g.node("ReduceMean", List.of(s), f32(1, 3), Attributes.builder()
        .putInts("axes", 2, 3).put("keepdims", 0L).build()));
    return g.build();
  }

  static Map<String, Tensor> run(LoopProgram p, long seed) {
    return Fixtures.run(p, seed);
  }

  /** Same results as the lowered program, also with parallel and vectorized loops run backwards. */
  static void assertSameResults(LoopProgram lowered, LoopProgram scheduled, String context) {
    assertEquals(List.of(), LoopVerifier.verify(scheduled), context);
    LoopProgram reversed = scheduled.withKernels(scheduled.kernels().stream()
        .map(Fixtures::reversingIndependentLoops).collect(ImmutableList.toImmutableList()));
    for (long seed = 1; seed <= 2; seed++) {
      Map<String, Tensor> expected = run(lowered, seed);
      assertEquals(expected, run(scheduled, seed), context + "\n" + scheduled);
      assertEquals(expected, run(reversed, seed), "order of independent iterations matters: " + context
          + "\n" + scheduled);
    }
  }

  @Test
  void defaultSchedulesOfALoweredDenseLayer() {
    LoopProgram lowered = lowerAsLoops(dense(new Random(1)));
    Map<String, Schedule> schedules = Scheduler.defaults(OPTIONS).schedules(lowered);
    assertEquals("accumulate_in_place(j)\nfission(j) -> j, j2\nfission(i) -> i, i2\nreorder(k, j2)\n"
        + "vectorize(j2)\nvectorize(j)\nparallelize(i)\nparallelize(i2)\n",
        schedules.get("mat_mul_0").trace().toString());
    assertEquals("vectorize(i1)\nparallelize(i0)\n", schedules.get("add_1").trace().toString());
    assertSameResults(lowered, Scheduler.defaults(OPTIONS).apply(lowered), "dense");
  }

  @Test
  void defaultSchedulesOfALoweredConvNet() {
    LoopProgram lowered = GraphToLoops.lower(convNet(new Random(2)));
    LoopProgram scheduled = Scheduler.defaults(OPTIONS).apply(lowered);
    assertSameResults(lowered, scheduled, "conv_net");
    Map<String, Schedule> schedules = Scheduler.defaults(OPTIONS).schedules(lowered);
    // The convolution lowers onto the matmul intrinsic, which code generation blocks and
    // parallelizes itself: its default schedule is empty.
    assertEquals("", schedules.get("conv_0").trace().toString());
    assertEquals("fuse(i0, i1) -> i0_i1\nfuse(i0_i1, i2) -> i0_i1_i2\nvectorize(i3)\nparallelize(i0_i1_i2)\n",
        schedules.get("relu_1").trace().toString());
    assertEquals("parallelize(i1)\nunroll(r3)\n", schedules.get("reduce_mean_3").trace().toString());
  }

  @Test
  void computeAtFusesTheLoweredBiasAddIntoTheRelu() {
    LoopProgram lowered = lowerAsLoops(dense(new Random(3)));
    Kernel matmul = lowered.kernels().get(0);
    Kernel add = lowered.kernels().get(1);
    Schedule relu = Schedule.of(lowered.kernels().get(2));
    relu.computeAt(add, "i1");
    assertEquals("""
        kernel relu_2 @"Relu node defining %relu"(out %relu, scratch %matmul, const %b) {
          for i0 in 0..5 {
            for i1 in 0..10 {
              %relu[i0, i1] = max((%matmul[i0, i1] + %b[i1]), 0.0:f32)
            }
          }
        }
        """, relu.kernel().toString());
    assertSameResults(lowered, lowered.withKernels(ImmutableList.of(matmul, add, relu.kernel())), "compute_at");
    ScheduleChecks.assertFails(relu, ScheduleError.PRODUCER_NOT_ELEMENTWISE,
        "compute_at(mat_mul_0, i1) in kernel relu_2: precondition 3: producer mat_mul_0 is not one loop per "
            + "dim of %matmul around a single store %matmul[loop variables]", s -> s.computeAt(matmul, "i1"));
  }

  @Test
  void packedWeightsOfALoweredMatMul() {
    LoopProgram lowered = lowerAsLoops(dense(new Random(4)));
    Scheduler panels = Scheduler.defaults(OPTIONS).withOp("MatMul", k -> {
      Schedule s = Schedule.of(k);
      s.split("j", 8);
      s.parallelize("i");
      return s;
    });
    LoopProgram packed = Pack.pack(panels.apply(lowered), "w", new Layout.Panels(1, 8));
    assertTrue(packed.kernels().get(0).toString().contains("%w[j.o, k, j.i]"), packed.toString());
    assertSameResults(lowered, packed, "pack");
  }

  @Test
  void randomLegalSchedulesOfLoweredKernels() {
    int applied = 0;
    for (Function<Random, Graph> graph : List.<Function<Random, Graph>>of(LoweredOpsTest::dense,
        LoweredOpsTest::convNet)) {
      for (long seed = 1; seed <= 12; seed++) {
        Random random = new Random(seed);
        LoopProgram lowered = lowerAsLoops(graph.apply(random));
        RandomScheduleTest.RandomlyScheduled scheduled =
            RandomScheduleTest.scheduleEachKernel(lowered, random, "seed " + seed);
        applied += scheduled.applied();
        assertSameResults(lowered, scheduled.program(),
            lowered.name() + " seed " + seed + "\n" + scheduled.traces());
      }
    }
    assertTrue(applied > 80, "only " + applied + " primitives applied");
  }
}
