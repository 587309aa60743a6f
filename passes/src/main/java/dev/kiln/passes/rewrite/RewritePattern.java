package dev.kiln.passes.rewrite;

import dev.kiln.ir.graph.Node;
import java.util.Optional;

/**
 * A local graph rewrite: given a node (the root) and a read-only view of the graph around it,
 * either a {@link Rewrite.Replace} or a {@link Rewrite.NoMatch} with the reason, which costs
 * nothing unless explanations were asked for (then {@code --explain-fusion} shows it). Patterns are
 * stateless and must not throw for a node they do not handle: return {@code noMatch}.
 *
 * <pre>{@code
 * final class FoldDoubleNegation implements RewritePattern {
 *   public String name() { return "fold-double-negation"; }
 *   public Optional<String> rootOp() { return Optional.of("Neg"); }
 *   public Rewrite match(Node root, PatternContext graph) {
 *     Optional<Node> inner = graph.producer(root.input(0));
 *     if (inner.isEmpty() || !inner.get().op().equals("Neg")) {
 *       return Rewrite.noMatch("the operand is not a Neg");
 *     }
 *     return Rewrite.replaceWith(root, inner.get().input(0));
 *   }
 * }
 * }</pre>
 */
public interface RewritePattern {
  /** The pattern's name, in remarks. */
  String name();

  /** The operator the root must be (the driver tries the pattern on those nodes only); empty: any. */
  default Optional<String> rootOp() {
    return Optional.empty();
  }

  /** A replacement of {@code root}, or why there is none. */
  Rewrite match(Node root, PatternContext graph);
}
