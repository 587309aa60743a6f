package dev.kiln.passes.graph;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.passes.pipeline.GraphPass;
import dev.kiln.passes.pipeline.PassContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code fold-constants}: a node whose inputs are all constants becomes constants, computed by the
 * operator's reference {@code evaluate} (the same semantics the interpreter runs). Folding
 * cascades in one walk, since the graph is in topological order. Outputs with more than
 * {@code maxElements} elements stay computed at run time, so that folding never bloats a model;
 * nodes without inputs ({@code Constant}) fold at any size, their value being in the model anyway.
 */
public final class FoldConstants implements GraphPass {
  public static final String NAME = "fold-constants";
  /** The default size limit, in elements per output. */
  public static final long DEFAULT_MAX_ELEMENTS = 1 << 16;

  private final OpRegistry registry;
  private final long maxElements;

  public FoldConstants() {
    this(OpRegistry.standard(), DEFAULT_MAX_ELEMENTS);
  }

  public FoldConstants(OpRegistry registry, long maxElements) {
    if (maxElements < 0) {
      throw new IllegalArgumentException("max-elements must be >= 0, got " + maxElements);
    }
    this.registry = registry;
    this.maxElements = maxElements;
  }

  public long maxElements() {
    return maxElements;
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor edit = new GraphEditor(graph);
    Map<String, Tensor> folded = new HashMap<>();
    for (Node node : graph.nodes()) {
      List<Optional<Tensor>> inputs = new ArrayList<>();
      boolean allConstant = true;
      for (Optional<Value> in : node.inputs()) {
        Optional<Tensor> t = in.flatMap(v -> Optional.ofNullable(folded.get(v.name()))
            .or(() -> edit.constant(v)));
        allConstant &= in.isEmpty() || t.isPresent();
        inputs.add(t);
      }
      if (!allConstant) {
        continue;
      }
      Optional<OpSchema> schema = registry.lookup(node.op());
      if (schema.isEmpty()) {
        remark(context, node, "the operator is not in the registry");
        continue;
      }
      if (node.op().equals("Identity") && node.inputCount() == 1) {
        // An Identity of a constant is a second name for it; simplify removes the name instead.
        continue;
      }
      boolean sizeOk = node.inputCount() == 0 || node.outputs().stream().allMatch(
          v -> v.type().shape().isStatic() && v.type().shape().elementCount() <= maxElements);
      if (!sizeOk) {
        remark(context, node, "an output has more than " + maxElements + " elements (or an unknown"
            + " shape); raise max-elements to fold it");
        continue;
      }
      List<Tensor> values;
      try {
        values = schema.get().evaluate(new EvalContext(node.op(), node.attributes(),
            ImmutableList.copyOf(inputs), node.outputs().size()));
      } catch (OpException e) {
        // The run would fail the same way; leave it to the run, where the message names the node.
        remark(context, node, "evaluating it failed: " + e.getMessage());
        continue;
      }
      if (node.inputCount() > 0 && values.stream().anyMatch(t -> t.size() > maxElements)) {
        remark(context, node, "an output has more than " + maxElements + " elements");
        continue;
      }
      for (int i = 0; i < values.size(); i++) {
        Value out = node.output(i);
        folded.put(out.name(), values.get(i));
      }
      edit.remove(node);
      for (int i = 0; i < values.size(); i++) {
        Value out = node.output(i);
        edit.replaceUses(out, edit.addFoldedConstant(out.name(), values.get(i)));
      }
    }
    return edit.build();
  }

  private static void remark(PassContext context, Node node, String why) {
    if (context.explain()) {
      context.remark(NAME, node.describe(), "not folded: " + why);
    }
  }
}
