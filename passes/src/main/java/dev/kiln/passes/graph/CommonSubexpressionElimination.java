package dev.kiln.passes.graph;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.passes.pipeline.GraphPass;
import dev.kiln.passes.pipeline.PassContext;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code cse}: a node that applies the same operator to the same inputs with the same attributes
 * as an earlier node is removed and its outputs read from the earlier one (operators are pure
 * functions of their inputs, Dropout included: Kiln runs it in inference mode). Inline constants
 * with equal data (same type, same bytes) are merged the same way; weights keep their own names,
 * which tie them to the weights file.
 */
public final class CommonSubexpressionElimination implements GraphPass {
  public static final String NAME = "cse";

  private record Key(String op, List<Optional<String>> inputs, Attributes attributes, int outputs) {}

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor edit = new GraphEditor(graph);
    Map<Tensor, Value> firstConstant = new HashMap<>();
    for (Constant c : graph.constants()) {
      if (c.weightKey().isPresent()) {
        continue;
      }
      Value first = firstConstant.putIfAbsent(c.data(), c.value());
      if (first != null && !edit.isGraphOutput(c.value())) {
        edit.replaceUses(c.value(), first);
      }
    }
    Map<Key, Node> first = new HashMap<>();
    for (Node n : graph.nodes()) {
      Key key = new Key(n.op(),
          n.inputs().stream().map(in -> in.map(v -> edit.resolve(v).name())).toList(),
          n.attributes(), n.outputs().size());
      Node earlier = first.putIfAbsent(key, n);
      if (earlier == null) {
        continue;
      }
      boolean sameTypes = true;
      for (int i = 0; i < n.outputs().size(); i++) {
        sameTypes &= n.output(i).type().equals(earlier.output(i).type());
      }
      if (!sameTypes) {
        // Declared types differ (one more specific); merging would change what users see.
        if (context.explain()) {
          context.remark(NAME, n.describe(), "not merged with " + earlier.describe()
              + ": their outputs are declared with different types");
        }
        continue;
      }
      for (int i = 0; i < n.outputs().size(); i++) {
        edit.replaceUses(n.output(i), earlier.output(i));
      }
      edit.remove(n);
    }
    return edit.build();
  }
}
