package dev.kiln.passes.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.op.OpSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every operator, lowered, computes what its reference {@code evaluate} computes: random shapes,
 * attributes and data from several seeds per operator (the failure message names the seed and
 * the graph). Tolerances are {@link Differential}'s: exact for integers and bools, {@code 1e-5 +
 * 1e-5 * |expected|} for f32.
 */
class LoweringDifferentialTest {
  static final int SEEDS = 16;

  @TestFactory
  Stream<DynamicTest> everyOperatorMatchesTheReference() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Map.Entry<String, Cases.Case> e : Cases.all().entrySet()) {
      tests.add(DynamicTest.dynamicTest(e.getKey(), () -> {
        for (int seed = 1; seed <= SEEDS; seed++) {
          Random rnd = new Random(seed * 1_000_003L + e.getKey().hashCode());
          Graph g;
          try {
            g = e.getValue().graph().apply(rnd);
          } catch (RuntimeException ex) {
            throw new AssertionError(e.getKey() + " seed " + seed + ": the case is invalid: " + ex, ex);
          }
          Differential.check(e.getKey() + " seed " + seed, g, rnd, e.getValue().nonZero());
        }
      }));
    }
    return tests.stream();
  }

  /** NaN, infinities and signed zeros, and ordinary values around the branch points. */
  static final double[] SPECIAL = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
      -0.0, 0.0, 1.0, -1.0, 0.5, -0.5, 3.0, -3.0, 1e-3};

  /** Every real unary operator and binary arithmetic on every pair of the special values. */
  @TestFactory
  Stream<DynamicTest> specialValuesMatchTheReference() {
    List<DynamicTest> tests = new ArrayList<>();
    List<String> unary = new ArrayList<>(Cases.UNARY_FLOAT);
    unary.addAll(Cases.UNARY_NUMERIC);
    unary.addAll(Cases.UNARY_SIGNED);
    for (String op : unary) {
      tests.add(DynamicTest.dynamicTest(op, () -> {
        for (DType t : List.of(DType.F32, DType.F64)) {
          Tensor x = Tensor.ofDoubles(t, new long[] {SPECIAL.length}, SPECIAL);
          Graph g = new Differential.OneNode(new Random(0)).in(t, SPECIAL.length).node(op);
          Differential.checkWith(op + " of " + x, g, Map.of("x0", x));
        }
      }));
    }
    for (String op : List.of("Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "Pow", "Equal",
        "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Mod")) {
      tests.add(DynamicTest.dynamicTest(op + " pairs", () -> {
        int n = SPECIAL.length;
        Tensor a = Tensor.ofDoubles(DType.F32, new long[] {n, 1}, SPECIAL);
        Tensor b = Tensor.ofDoubles(DType.F32, new long[] {1, n}, SPECIAL);
        var node = new Differential.OneNode(new Random(0)).in(DType.F32, n, 1).in(DType.F32, 1, n);
        Graph g = op.equals("Mod")
            ? node.node(op, Differential.attrs().put("fmod", 1L).build())
            : node.node(op);
        Differential.checkWith(op + " of every pair", g, Map.of("x0", a, "x1", b));
      }));
    }
    return tests.stream();
  }

  @Test
  void integerMeanDividesTheExactSum() {
    // The i32 sum overflows; the reference divides the exact (long) sum.
    Tensor x = Tensor.ofLongs(DType.I32, new long[] {2}, Integer.MAX_VALUE, Integer.MAX_VALUE - 2);
    Graph g = new Differential.OneNode(new Random(0)).in(DType.I32, 2).node("ReduceMean");
    Differential.checkWith("ReduceMean of " + x, g, Map.of("x0", x));
  }

  @Test
  void everyStandardOperatorLowersAndIsTested() {
    TreeSet<String> missingLowering = new TreeSet<>();
    TreeSet<String> missingCase = new TreeSet<>();
    var lowerings = LoweringRegistry.standard();
    var cases = Cases.all();
    for (OpSchema op : Differential.OPS.all()) {
      if (lowerings.lookup(op.name()).isEmpty()) {
        missingLowering.add(op.name());
      }
      if (!cases.containsKey(op.name())) {
        missingCase.add(op.name());
      }
    }
    assertEquals(new TreeSet<>(), missingLowering, "operators without a lowering");
    assertEquals(new TreeSet<>(), missingCase, "operators without a differential case");
  }

  /** Selections along an empty axis still write their (empty) outputs. */
  @Test
  void selectionsAlongAnEmptyAxis() {
    Tensor empty = Tensor.ofDoubles(DType.F32, new long[] {2, 0}, new double[0]);
    Graph hardmax = new Differential.OneNode(new Random(0)).in(DType.F32, 2, 0).node("Hardmax");
    Differential.checkWith("Hardmax of f32[2, 0]", hardmax, Map.of("x0", empty));
    Graph topK = new Differential.OneNode(new Random(0)).in(DType.F32, 2, 0).ints(0)
        .node("TopK", Differential.attrs().build(), 2);
    Differential.checkWith("TopK 0 of f32[2, 0]", topK, Map.of("x0", empty));
  }
}
