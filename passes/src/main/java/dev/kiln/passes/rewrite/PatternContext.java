package dev.kiln.passes.rewrite;

import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import java.util.Optional;

/** What a pattern may ask about the graph around its root. Read-only. */
public interface PatternContext {
  /** The whole graph as it is now. */
  Graph graph();

  /** The node defining {@code value}; empty for inputs and constants. */
  Optional<Node> producer(Value value);

  /** The data of {@code value} when it is a constant. */
  Optional<Tensor> constant(Value value);

  /** How many input slots of nodes read {@code value}, plus one if it is a graph output. */
  int uses(Value value);

  /** Whether {@code value} is an output of the graph (its name is part of the model's signature). */
  boolean isGraphOutput(Value value);

  /** A value name not yet used in the graph, built from {@code base} ({@code base}, {@code base.1}, ...). */
  String freshName(String base);
}
