package dev.kiln.passes.rewrite;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import java.util.List;
import java.util.Map;

/** What a {@link RewritePattern} says about a node: how to replace it, or why it does not apply. */
public sealed interface Rewrite {
  /** The pattern does not apply; {@code reason} is shown by {@code --explain-fusion}. */
  record NoMatch(String reason) implements Rewrite {}

  /**
   * Replace the root node: {@code nodes} are inserted where it was (they may read any value
   * defined before it, and the new constants), the root is removed, and each use of a root output
   * is renamed to {@code substitutions.get(name)} when given; every other root output must be
   * defined by one of {@code nodes} (same name and type).
   *
   * @param nodes new nodes, in order
   * @param constants new constants (fresh names: see {@link PatternContext#freshName})
   * @param substitutions root output name to the existing value that replaces it (same type)
   */
  record Replace(ImmutableList<Node> nodes, ImmutableList<Constant> constants,
      ImmutableMap<String, Value> substitutions) implements Rewrite {
    public Replace {
      nodes = ImmutableList.copyOf(nodes);
      constants = ImmutableList.copyOf(constants);
      substitutions = ImmutableMap.copyOf(substitutions);
    }
  }

  static Rewrite noMatch(String reason) {
    return new NoMatch(reason);
  }

  /** The root's outputs, in order, become {@code values} (which exist already); the root goes. */
  static Rewrite replaceWith(Node root, Value... values) {
    if (values.length != root.outputs().size()) {
      throw new IllegalArgumentException(root.describe() + " has " + root.outputs().size()
          + " outputs, but " + values.length + " replacements were given");
    }
    ImmutableMap.Builder<String, Value> map = ImmutableMap.builder();
    for (int i = 0; i < values.length; i++) {
      map.put(root.outputs().get(i).name(), values[i]);
    }
    return new Replace(ImmutableList.of(), ImmutableList.of(), map.buildOrThrow());
  }

  /** The root is replaced by {@code nodes}, which define its outputs (same names and types). */
  static Rewrite replaceWith(List<Node> nodes) {
    return new Replace(ImmutableList.copyOf(nodes), ImmutableList.of(), ImmutableMap.of());
  }

  /** The root is replaced by {@code nodes} that may read {@code constants} (new, fresh names). */
  static Rewrite replaceWith(List<Node> nodes, List<Constant> constants) {
    return new Replace(ImmutableList.copyOf(nodes), ImmutableList.copyOf(constants), ImmutableMap.of());
  }

  /** The general form; see {@link Replace}. */
  static Rewrite replace(List<Node> nodes, List<Constant> constants, Map<String, Value> substitutions) {
    return new Replace(ImmutableList.copyOf(nodes), ImmutableList.copyOf(constants),
        ImmutableMap.copyOf(substitutions));
  }
}
