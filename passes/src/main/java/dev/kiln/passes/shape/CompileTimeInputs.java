package dev.kiln.passes.shape;

import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The graph inputs whose <em>values</em> compiled code depends on: those that reach an input slot
 * an operator reads at compile time ({@link OpSchema#readsAtCompileTime}: Reshape's
 * {@code shape}, Slice's {@code starts}, Pad's {@code pads}, ...), directly or through other
 * nodes ({@code Cast}, {@code Concat}, arithmetic), but not through {@code Shape} or {@code Size},
 * whose outputs follow from their input's type alone.
 *
 * <p>For such inputs a shape is not enough to compile: the compiled engine specializes on their
 * values too, and hands them to {@link BindShapes} as constants so that inference folds them.
 */
public final class CompileTimeInputs {
  private CompileTimeInputs() {}

  /**
   * Graph input name to why its values are needed, e.g.
   * {@code "input 1 of Reshape node 'r' reads it at compile time"} or
   * {@code "input 1 of Range node 'r' reads it at compile time (through %limit)"}, in graph input order; empty
   * when shapes alone decide the compiled code.
   *
   * @param graph a verified graph (every operator known to {@code registry})
   */
  public static ImmutableMap<String, String> of(Graph graph, OpRegistry registry) {
    // Walk consumers before producers: a node's outputs are known to be needed (or not) by the
    // time the node itself is visited.
    Map<String, Reader> needed = new HashMap<>();
    for (int n = graph.nodes().size() - 1; n >= 0; n--) {
      Node node = graph.nodes().get(n);
      OpSchema schema = registry.lookup(node.op()).orElseThrow(() -> new IllegalStateException(
          node.describe() + ": unknown operator (verify the graph first)"));
      for (int slot = 0; slot < node.inputs().size(); slot++) {
        Optional<Value> in = node.inputs().get(slot);
        if (in.isPresent() && schema.readsAtCompileTime(slot)) {
          needed.putIfAbsent(in.get().name(),
              new Reader("input " + slot + " of " + node.describe(), Optional.empty()));
        }
      }
      if (schema.outputsDependOnInputTypesOnly()) {
        continue;
      }
      for (Value out : node.outputs()) {
        Reader reader = needed.get(out.name());
        if (reader == null) {
          continue;
        }
        Reader through = reader.through().isPresent() ? reader
            : new Reader(reader.slot(), Optional.of(out.name()));
        for (Optional<Value> in : node.inputs()) {
          in.ifPresent(v -> needed.putIfAbsent(v.name(), through));
        }
      }
    }
    ImmutableMap.Builder<String, String> inputs = ImmutableMap.builder();
    for (Value in : graph.inputs()) {
      if (needed.containsKey(in.name())) {
        inputs.put(in.name(), needed.get(in.name()).describe());
      }
    }
    return inputs.build();
  }

  /** The slot that reads a value at compile time, and the value it reads it through, if any. */
  private record Reader(String slot, Optional<String> through) {
    String describe() {
      return slot + " reads it at compile time" + through.map(v -> " (through %" + v + ")").orElse("");
    }
  }

  public static ImmutableMap<String, String> of(Graph graph) {
    return of(graph, OpRegistry.standard());
  }
}
