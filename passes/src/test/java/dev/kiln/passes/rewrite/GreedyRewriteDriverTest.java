package dev.kiln.passes.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.passes.pipeline.PassContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Patterns and the greedy driver: replacements, forwarding, remarks, graph outputs kept, contract checks. */
class GreedyRewriteDriverTest {
  /** Neg(Neg(x)) is x. */
  static final RewritePattern DOUBLE_NEG = new RewritePattern() {
    public String name() {
      return "double-neg";
    }

    public Optional<String> rootOp() {
      return Optional.of("Neg");
    }

    public Rewrite match(Node root, PatternContext graph) {
      Optional<Node> inner = graph.producer(root.input(0));
      if (inner.isEmpty() || !inner.get().op().equals("Neg")) {
        return Rewrite.noMatch("the operand is not a Neg");
      }
      return Rewrite.replaceWith(root, inner.get().input(0));
    }
  };

  /** Relu becomes Max(x, 0) with a new constant; tests new nodes and constants. */
  static final RewritePattern RELU_AS_MAX = new RewritePattern() {
    public String name() {
      return "relu-as-max";
    }

    public Optional<String> rootOp() {
      return Optional.of("Relu");
    }

    public Rewrite match(Node root, PatternContext graph) {
      Value zero = new Value(graph.freshName("zero"), dev.kiln.ir.type.TensorType.of(dev.kiln.ir.type.DType.F32, new long[0]));
      var c = dev.kiln.ir.graph.Constant.inline(zero, dev.kiln.ir.tensor.Tensor.ofFloats(new long[0], 0f));
      return Rewrite.replaceWith(List.of(Node.of("Max", List.of(root.input(0), zero), root.outputs(), Attributes.EMPTY)),
          List.of(c));
    }
  };

  static Graph graph(String body) {
    return KilnText.parse("model m(%x: f32[4]) -> (%y: f32[4]) {\n" + body + "}\n", "t.kiln", Path.of(".")).graph();
  }

  static String print(Graph g) {
    return KilnText.print(new KilnModel(g, Optional.empty()));
  }

  @Test
  void forwardsAndErasesWhatIsLeftDead() {
    Graph g = graph("  %a = Neg(%x)\n  %b = Neg(%a)\n  %y = Relu(%b)\n");
    Graph out = new GreedyRewriteDriver(List.of(DOUBLE_NEG)).apply(g, PassContext.silent());
    assertEquals("kiln 1\nmodel m(%x: f32[4]) -> (%y: f32[4]) {\n  %y: f32[4] = Relu(%x)\n}\n", print(out));
  }

  @Test
  void replacesWithNewNodesAndConstantsToAFixedPoint() {
    Graph g = graph("  %a = Relu(%x)\n  %y = Relu(%a)\n");
    Graph out = PatternPass.of(RELU_AS_MAX).run(g, PassContext.silent());
    assertEquals("""
        kiln 1
        model m(%x: f32[4]) -> (%y: f32[4]) {
          const %zero: f32[] = 0.0
          const %zero.1: f32[] = 0.0
          %a: f32[4] = Max(%x, %zero)
          %y: f32[4] = Max(%a, %zero.1)
        }
        """, print(out));
    dev.kiln.ir.verify.Verifier.standard().verifyOrThrow(out);
  }

  @Test
  void noMatchIsTheSameGraphAndExplainsWhy() {
    Graph g = graph("  %a = Neg(%x)\n  %y = Relu(%a)\n");
    List<String> remarks = new ArrayList<>();
    assertSame(g, new GreedyRewriteDriver(List.of(DOUBLE_NEG)).apply(g, PassContext.explaining(remarks::add)));
    assertEquals(List.of("double-neg: Neg node defining %a: not applied: the operand is not a Neg"), remarks);
  }

  @Test
  void aGraphOutputIsNeverRenamed() {
    Graph g = graph("  %a = Neg(%x)\n  %y = Neg(%a)\n");
    List<String> remarks = new ArrayList<>();
    assertSame(g, new GreedyRewriteDriver(List.of(DOUBLE_NEG)).apply(g, PassContext.explaining(remarks::add)));
    assertEquals("double-neg: Neg node defining %y: not applied: it would rename %y, an output of the graph",
        remarks.get(1));
  }

  @Test
  void aPatternThatBreaksTheContractIsABug() {
    RewritePattern wrongType = new RewritePattern() {
      public String name() {
        return "wrong";
      }

      public Rewrite match(Node root, PatternContext graph) {
        return root.op().equals("Shape") ? Rewrite.replaceWith(root, graph.graph().inputs().get(0))
            : Rewrite.noMatch("not a Shape");
      }
    };
    Graph g = graph("  %s = Shape(%x)\n  %y = Relu(%x)\n");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> new GreedyRewriteDriver(List.of(wrongType)).apply(g, PassContext.silent()));
    assertEquals("pattern wrong at Shape node defining %s replaced %s: i64[1] with %x: f32[4]", e.getMessage());
  }
}
