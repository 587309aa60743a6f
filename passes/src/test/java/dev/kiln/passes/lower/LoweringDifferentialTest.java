package dev.kiln.passes.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.graph.Graph;
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
  static final int SEEDS = 8;

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
}
