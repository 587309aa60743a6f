package dev.kiln.ir.verify;

import dev.kiln.ir.graph.Node;
import java.util.Optional;

/**
 * One problem found by the {@link Verifier}.
 *
 * @param node the node at fault, when the problem is about one node
 * @param message what is wrong, naming the value or attribute
 */
public record VerifierError(Optional<Node> node, String message) {
  @Override
  public String toString() {
    return node.map(n -> n.describe() + ": " + message).orElse(message);
  }
}
