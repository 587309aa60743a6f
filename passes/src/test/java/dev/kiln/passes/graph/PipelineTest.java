package dev.kiln.passes.graph;

import static dev.kiln.passes.graph.PassTesting.assertSameOutputs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.verify.Verifier;
import dev.kiln.passes.pipeline.Ir;
import dev.kiln.passes.pipeline.PassContext;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The passes of {@link GraphPasses#STANDARD_ORDER} in a row on the examples: every step verifies,
 * the outputs stay the same, and running the chain again changes nothing (the same instance).
 */
class PipelineTest {
  static Graph optimize(Graph g) {
    Graph cur = g;
    for (String name : GraphPasses.STANDARD_ORDER) {
      cur = run(name, cur);
      Verifier.standard().verifyOrThrow(cur);
    }
    return cur;
  }

  /** Runs the registered pass {@code name} with its default options. */
  static Graph run(String name, Graph g) {
    return GraphPasses.lookup(name).orElseThrow().create().run(Ir.of(g), PassContext.silent())
        .graph();
  }

  static Map<String, Integer> opCounts(Graph g) {
    Map<String, Integer> counts = new TreeMap<>();
    for (Node n : g.nodes()) {
      counts.merge(n.op(), 1, Integer::sum);
    }
    return counts;
  }

  private static Graph example(String name) {
    return KilnText.read(Path.of("..", "examples", name, name + ".kiln")).graph();
  }

  private static Graph checked(String name, long seed) {
    Graph before = example(name);
    Graph after = optimize(before);
    assertSameOutputs(before, after, seed, 1e-4);
    Graph again = after;
    for (String pass : GraphPasses.STANDARD_ORDER) {
      Graph next = run(pass, again);
      assertTrue(next == again, pass + " changed the graph on a second run");
    }
    System.out.printf("examples/%s: %d nodes %s -> %d nodes %s%n", name, before.nodes().size(),
        opCounts(before), after.nodes().size(), opCounts(after));
    return after;
  }

  @Test
  void cnn() {
    Graph after = checked("cnn", 1);
    // conv-bn-relu twice: two FusedConv, nothing else of them left.
    assertEquals(2, opCounts(after).getOrDefault("FusedConv", 0), opCounts(after).toString());
    assertEquals(0, opCounts(after).getOrDefault("BatchNormalization", 0));
  }

  @Test
  void mlp() {
    Graph after = checked("mlp", 2);
    assertEquals(2, opCounts(after).getOrDefault("FusedGemm", 0), opCounts(after).toString());
  }
}
