package dev.kiln.passes.schedule;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import dev.kiln.passes.lower.GraphToLoops;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * One node of each common operator, lowered, then scheduled by the default scheduler and by
 * seeded random schedules: results stay bit-identical (and independent of the order of parallel
 * and vectorized iterations).
 */
class LoweredOpsSweepTest {
  static final OpRegistry OPS = OpRegistry.standard();
  static final int SEEDS = 6;

  /** Builds a one-node graph: inputs are types (graph inputs) or tensors (constants). */
  static Graph oneNode(String op, Attributes attrs, Object... inputs) {
    GraphBuilder g = Graph.builder(op.toLowerCase(java.util.Locale.ROOT));
    List<Optional<Value>> values = new ArrayList<>();
    List<Optional<Tensor>> constants = new ArrayList<>();
    for (int i = 0; i < inputs.length; i++) {
      if (inputs[i] instanceof TensorType t) {
        values.add(Optional.of(g.input("x" + i, t)));
        constants.add(Optional.empty());
      } else {
        Tensor t = (Tensor) inputs[i];
        values.add(Optional.of(g.constant("c" + i, t)));
        constants.add(Optional.of(t));
      }
    }
    NodeInference.Result r = NodeInference.infer(OPS.lookup(op).orElseThrow(), attrs,
        values.stream().map(v -> v.map(Value::type)).toList(), constants, 1);
    Value out = new Value("y", r.types().getFirst());
    g.addNode(new Node("n", op, ImmutableList.copyOf(values), ImmutableList.of(out), attrs));
    g.output(out);
    return g.build();
  }

  static TensorType f32(long... shape) {
    return TensorType.of(DType.F32, shape);
  }

  static Tensor weights(long... shape) {
    return LoweredOpsTest.random(new Random(java.util.Arrays.hashCode(shape)), shape);
  }

  static Attributes.Builder attrs() {
    return Attributes.builder();
  }

  static Map<String, Graph> cases() {
    Map<String, Graph> c = new LinkedHashMap<>();
    Attributes none = Attributes.EMPTY;
    c.put("Exp", oneNode("Exp", none, f32(3, 5)));
    c.put("Sigmoid", oneNode("Sigmoid", none, f32(2, 3, 4)));
    c.put("Add broadcast", oneNode("Add", none, f32(2, 3, 8), f32(8)));
    c.put("Mul two-sided broadcast", oneNode("Mul", none, f32(3, 1, 5), f32(1, 4, 5)));
    c.put("Div column", oneNode("Div", none, f32(4, 6), weights(4, 1)));
    c.put("MatMul batched", oneNode("MatMul", none, f32(2, 3, 4), weights(4, 9)));
    c.put("Gemm transB", oneNode("Gemm", attrs().put("transB", 1L).build(), f32(3, 4), weights(10, 4), weights(10)));
    c.put("Conv grouped padded", oneNode("Conv", attrs().put("group", 2L).putInts("pads", 1, 1, 1, 1).build(),
        f32(1, 4, 6, 6), weights(4, 2, 3, 3)));
    c.put("MaxPool", oneNode("MaxPool", attrs().putInts("kernel_shape", 2, 2).putInts("strides", 2, 2).build(),
        f32(1, 2, 6, 6)));
    c.put("AveragePool padded", oneNode("AveragePool", attrs().putInts("kernel_shape", 3, 3)
        .putInts("pads", 1, 1, 1, 1).build(), f32(1, 2, 5, 5)));
    c.put("GlobalAveragePool", oneNode("GlobalAveragePool", none, f32(1, 3, 4, 4)));
    c.put("Softmax", oneNode("Softmax", attrs().put("axis", 1L).build(), f32(3, 7)));
    c.put("LogSoftmax", oneNode("LogSoftmax", none, f32(2, 5)));
    c.put("ReduceSum", oneNode("ReduceSum", none, f32(3, 4, 5), Tensor.ofLongs(new long[] {1}, 1)));
    c.put("ReduceMax", oneNode("ReduceMax", attrs().putInts("axes", 0, 2).put("keepdims", 0L).build(),
        f32(3, 4, 5)));
    c.put("Transpose", oneNode("Transpose", attrs().putInts("perm", 2, 0, 1).build(), f32(2, 3, 4)));
    c.put("Concat", oneNode("Concat", attrs().put("axis", 1L).build(), f32(2, 3), f32(2, 4)));
    c.put("BatchNormalization", oneNode("BatchNormalization", none, f32(2, 3, 4, 4), weights(3), weights(3),
        weights(3), positive(3)));
    c.put("LayerNormalization", oneNode("LayerNormalization", none, f32(3, 8), weights(8), weights(8)));
    c.put("Gather", oneNode("Gather", none, f32(5, 4), Tensor.ofLongs(new long[] {3}, 4, 0, 2)));
    c.put("Reshape", oneNode("Reshape", none, f32(2, 6), Tensor.ofLongs(new long[] {2}, 3, 4)));
    return c;
  }

  static Tensor positive(long n) {
    float[] v = new float[(int) n];
    for (int i = 0; i < n; i++) {
      v[i] = 0.5f + i;
    }
    return Tensor.ofFloats(new long[] {n}, v);
  }

  @TestFactory
  Stream<DynamicTest> schedulesKeepEveryLoweredOperatorsResults() {
    return cases().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
      LoopProgram lowered = GraphToLoops.lower(e.getValue());
      LoweredOpsTest.assertSameResults(lowered, Scheduler.defaults(ScheduleOptions.withLanes(4)).apply(lowered),
          e.getKey() + " default schedule");
      int applied = 0;
      for (long seed = 1; seed <= SEEDS; seed++) {
        Random random = new Random(seed * 31 + e.getKey().hashCode());
        RandomScheduleTest.RandomlyScheduled scheduled =
            RandomScheduleTest.scheduleEachKernel(lowered, random, e.getKey() + " seed " + seed);
        applied += scheduled.applied();
        LoweredOpsTest.assertSameResults(lowered, scheduled.program(),
            e.getKey() + " seed " + seed + "\n" + scheduled.traces());
      }
      assertTrue(applied > 0, e.getKey() + ": no primitive applied in " + SEEDS + " seeds");
    }));
  }
}
