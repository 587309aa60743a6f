package dev.kiln.passes.rewrite;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.passes.graph.DeadCodeElimination;
import dev.kiln.passes.pipeline.PassContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Applies patterns until none applies: walks the nodes in order, tries each pattern whose root
 * operator matches (in the order given; the first that applies wins), applies its rewrite at
 * once, and walks again until a walk changes nothing or {@code maxWalks} walks were made. Then,
 * as MLIR's greedy driver does, nodes left without uses are erased ({@code dce}).
 *
 * <p>A rewrite that would rename a graph output is not applied (a remark says so): the
 * output's name is part of the model's signature. A rewrite that breaks the contract of
 * {@link Rewrite.Replace} (an output left undefined, a type changed) is a bug in the pattern: an
 * {@link IllegalStateException} naming it, which the pass manager turns into a crash report.
 */
public final class GreedyRewriteDriver {
  /** Walks before giving up on reaching a fixed point. */
  public static final int DEFAULT_MAX_WALKS = 10;

  private final List<RewritePattern> patterns;
  private final int maxWalks;

  public GreedyRewriteDriver(List<RewritePattern> patterns, int maxWalks) {
    this.patterns = List.copyOf(patterns);
    if (maxWalks < 1) {
      throw new IllegalArgumentException("maxWalks must be at least 1, got " + maxWalks);
    }
    this.maxWalks = maxWalks;
  }

  public GreedyRewriteDriver(List<RewritePattern> patterns) {
    this(patterns, DEFAULT_MAX_WALKS);
  }

  /** {@code graph} rewritten, or {@code graph} itself when no pattern applied. */
  public Graph apply(Graph graph, PassContext context) {
    Graph current = graph;
    boolean changedAny = false;
    for (int walk = 0; walk < maxWalks; walk++) {
      boolean changed = false;
      for (int i = 0; i < current.nodes().size(); i++) {
        Node node = current.nodes().get(i);
        for (RewritePattern p : patterns) {
          if (p.rootOp().isPresent() && !p.rootOp().get().equals(node.op())) {
            continue;
          }
          Graph rewritten = tryPattern(current, i, node, p, context);
          if (rewritten != current) {
            current = rewritten;
            changed = true;
            i--;  // the node at i is new: look at it again
            break;
          }
        }
      }
      changedAny |= changed;
      if (!changed) {
        break;
      }
    }
    if (!changedAny) {
      return graph;
    }
    return new DeadCodeElimination().run(current, PassContext.silent());
  }

  private Graph tryPattern(Graph graph, int index, Node root, RewritePattern pattern, PassContext context) {
    View view = new View(graph);
    Rewrite result = pattern.match(root, view);
    switch (result) {
      case Rewrite.NoMatch no -> {
        if (context.explain()) {
          context.remark(pattern.name(), root.describe(), "not applied: " + no.reason());
        }
        return graph;
      }
      case Rewrite.Replace r -> {
        for (String out : r.substitutions().keySet()) {
          if (view.outputs.contains(out)) {
            if (context.explain()) {
              context.remark(pattern.name(), root.describe(),
                  "not applied: it would rename %" + out + ", an output of the graph");
            }
            return graph;
          }
        }
        Graph out = apply(graph, index, root, r, pattern);
        if (context.explain()) {
          context.remark(pattern.name(), root.describe(), "applied");
        }
        return out;
      }
    }
  }

  private static Graph apply(Graph graph, int index, Node root, Rewrite.Replace r, RewritePattern pattern) {
    Map<String, Value> defined = new HashMap<>();
    r.nodes().forEach(n -> n.outputs().forEach(v -> defined.put(v.name(), v)));
    for (Value out : root.outputs()) {
      Value replacement = r.substitutions().containsKey(out.name())
          ? r.substitutions().get(out.name()) : defined.get(out.name());
      if (replacement == null) {
        throw new IllegalStateException("pattern " + pattern.name() + " at " + root.describe()
            + " left output %" + out.name() + " undefined");
      }
      if (!replacement.type().equals(out.type())) {
        throw new IllegalStateException("pattern " + pattern.name() + " at " + root.describe()
            + " replaced %" + out.name() + ": " + out.type() + " with %" + replacement.name() + ": "
            + replacement.type());
      }
    }
    Map<String, Value> rename = new HashMap<>(r.substitutions());
    List<Node> nodes = new ArrayList<>(graph.nodes().subList(0, index));
    nodes.addAll(r.nodes());
    for (Node n : graph.nodes().subList(index + 1, graph.nodes().size())) {
      nodes.add(renameInputs(n, rename));
    }
    List<Constant> constants = new ArrayList<>(graph.constants());
    constants.addAll(r.constants());
    return new Graph(graph.name(), graph.inputs(), graph.outputs(), ImmutableList.copyOf(constants),
        ImmutableList.copyOf(nodes));
  }

  private static Node renameInputs(Node n, Map<String, Value> rename) {
    if (rename.isEmpty() || n.inputs().stream().noneMatch(in -> in.isPresent() && rename.containsKey(in.get().name()))) {
      return n;
    }
    ImmutableList<Optional<Value>> inputs = n.inputs().stream()
        .map(in -> in.map(v -> rename.getOrDefault(v.name(), v)))
        .collect(ImmutableList.toImmutableList());
    return new Node(n.name(), n.op(), inputs, n.outputs(), n.attributes());
  }

  /** The read-only view patterns see. */
  private static final class View implements PatternContext {
    private final Graph graph;
    private final Map<String, Node> producers;
    private final Map<String, Constant> constants;
    private final Set<String> outputs = new HashSet<>();
    private final Map<String, Integer> uses = new HashMap<>();
    private final Set<String> names = new HashSet<>();

    View(Graph graph) {
      this.graph = graph;
      this.producers = graph.producers();
      this.constants = graph.constantsByName();
      graph.outputs().forEach(v -> outputs.add(v.name()));
      graph.inputs().forEach(v -> names.add(v.name()));
      names.addAll(constants.keySet());
      names.addAll(producers.keySet());
      for (Node n : graph.nodes()) {
        n.inputs().forEach(in -> in.ifPresent(v -> uses.merge(v.name(), 1, Integer::sum)));
      }
    }

    @Override
    public Graph graph() {
      return graph;
    }

    @Override
    public Optional<Node> producer(Value value) {
      return Optional.ofNullable(producers.get(value.name()));
    }

    @Override
    public Optional<Tensor> constant(Value value) {
      return Optional.ofNullable(constants.get(value.name())).map(Constant::data);
    }

    @Override
    public int uses(Value value) {
      return uses.getOrDefault(value.name(), 0) + (outputs.contains(value.name()) ? 1 : 0);
    }

    @Override
    public boolean isGraphOutput(Value value) {
      return outputs.contains(value.name());
    }

    @Override
    public String freshName(String base) {
      String name = base;
      for (int i = 1; names.contains(name); i++) {
        name = base + "." + i;
      }
      names.add(name);
      return name;
    }
  }
}
