package dev.kiln.examples.plugin;

import dev.kiln.ir.graph.Node;
import dev.kiln.passes.rewrite.PatternContext;
import dev.kiln.passes.rewrite.Rewrite;
import dev.kiln.passes.rewrite.RewritePattern;
import java.util.Optional;

/** {@code Neg(Neg(x))} is {@code x}: the outer Neg's uses read x; the driver erases what is left dead. */
final class FoldDoubleNegation implements RewritePattern {
  @Override
  public String name() {
    return "fold-double-negation";
  }

  @Override
  public Optional<String> rootOp() {
    return Optional.of("Neg");
  }

  @Override
  public Rewrite match(Node root, PatternContext graph) {
    Optional<Node> inner = graph.producer(root.input(0));
    if (inner.isEmpty() || !inner.get().op().equals("Neg")) {
      return Rewrite.noMatch("its operand is not computed by a Neg");
    }
    return Rewrite.replaceWith(root, inner.get().input(0));
  }
}
