package dev.kiln.ir.graph;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kiln.ir.type.TensorType;

/**
 * A tensor value of a graph: a graph input, a constant, or a node output. Values are SSA: each
 * name is defined exactly once in its graph. Names come from the model and may contain any
 * character; printers quote them and code generators never use them as identifiers.
 */
public record Value(String name, TensorType type) {
  public Value {
    checkArgument(!name.isEmpty(), "a value needs a name");
  }

  @Override
  public String toString() {
    return "%" + name + ": " + type;
  }
}
