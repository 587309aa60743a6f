package dev.kiln.passes.graph;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.ops.elementwise.Epilogue;
import dev.kiln.ir.ops.layout.Blocked;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import dev.kiln.passes.pipeline.GraphPass;
import dev.kiln.passes.pipeline.PassContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code assign-layout}: computes convolution networks in the blocked channel layout NCHWc
 * ({@code [N, ceil(C/b), H, W, b]}, see {@code dev.kiln.ir.ops.layout}), changing layout only at
 * the edges of the regions it forms.
 *
 * <ul>
 *   <li>Every f32 2-D {@code Conv}/{@code FusedConv} that is dense (group 1) or depthwise
 *       (group = C = M) and whose activation maps 0 to 0 becomes an {@code NchwcConv}. A dense
 *       one of fewer than b input channels whose input is NCHW (the first convolution of an
 *       image network, C = 3) reads that input as it is (blocking it would compute b lanes for
 *       3, and cost a reorder): its output, and so the pooling and convolutions after it, are
 *       blocked. A depthwise one needs at least b/2 channels.
 *   <li>{@code MaxPool} (one output), {@code AveragePool}, {@code GlobalAveragePool} and the
 *       elementwise operators with {@code f(0) = 0} ({@code Relu}, {@code LeakyRelu},
 *       {@code Tanh}, {@code Neg}, {@code Abs}, {@code Clip} with constant bounds around 0; and
 *       {@code Add}, {@code Sub}, {@code Mul}, {@code Max}, {@code Min} of two operands of the
 *       same shape) join a region when an operand was computed in it: pooling becomes its
 *       {@code Nchwc*} form, elementwise operators run unchanged on the blocked tensors (the lanes
 *       past the last channel stay zero).
 *   <li>A blocked operand of a node outside the regions, or a graph output, gets one
 *       {@code ReorderOutput}; an NCHW operand of a node inside one gets one {@code ReorderInput}:
 *       each value is reordered at most once, however many nodes use it.
 * </ul>
 *
 * With {@code --explain-fusion}, says why each convolution it leaves alone stays NCHW.
 */
public final class AssignLayout implements GraphPass {
  public static final String NAME = "assign-layout";

  private static final Set<String> UNARY = Set.of("Relu", "LeakyRelu", "Tanh", "Neg", "Abs");
  private static final Set<String> BINARY = Set.of("Add", "Sub", "Mul", "Max", "Min");
  private static final Map<String, String> POOLS = Map.of("MaxPool", "NchwcMaxPool",
      "AveragePool", "NchwcAveragePool", "GlobalAveragePool", "NchwcGlobalAveragePool");

  private final long block;
  private final boolean dense;

  /**
   * @param block the lanes per channel block, b
   * @param dense whether dense convolutions are blocked too (else only depthwise ones)
   */
  public AssignLayout(long block, boolean dense) {
    if (block <= 0) {
      throw new IllegalArgumentException("the channel block must be positive, got " + block);
    }
    this.block = block;
    this.dense = dense;
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    return new Rewrite(graph, context).run();
  }

  /** One run: the nodes emitted so far and the layouts each value is available in. */
  private final class Rewrite {
    final Graph graph;
    final PassContext context;
    final Map<String, Constant> constants = new HashMap<>();
    final Set<String> names = new HashSet<>();
    final List<Node> nodes = new ArrayList<>();
    /** The blocked form of a value, by the value's name. */
    final Map<String, Value> blocked = new HashMap<>();
    /** The values whose NCHW form exists (graph inputs, constants, NCHW node outputs). */
    final Set<String> nchw = new HashSet<>();
    /** The NCHW values whose definition was replaced by a blocked one, by name. */
    final Map<String, Value> original = new HashMap<>();
    boolean changed;

    Rewrite(Graph graph, PassContext context) {
      this.graph = graph;
      this.context = context;
      for (Constant c : graph.constants()) {
        constants.put(c.value().name(), c);
        names.add(c.value().name());
        nchw.add(c.value().name());
      }
      for (Value v : graph.inputs()) {
        names.add(v.name());
        nchw.add(v.name());
      }
      graph.nodes().forEach(n -> n.outputs().forEach(v -> names.add(v.name())));
    }

    Graph run() {
      for (Node n : graph.nodes()) {
        if (!convert(n)) {
          nodes.add(withNchwInputs(n));
          n.outputs().forEach(v -> nchw.add(v.name()));
        }
      }
      if (!changed) {
        return graph;
      }
      graph.outputs().forEach(this::nchwOf);
      return new Graph(graph.name(), graph.inputs(), graph.outputs(), graph.constants(),
          ImmutableList.copyOf(nodes));
    }

    /** Emits the blocked form of {@code n} and returns true, or returns false to keep it. */
    boolean convert(Node n) {
      if (n.op().equals("Conv") || n.op().equals("FusedConv")) {
        Optional<String> why = whyNotBlocked(n);
        if (why.isPresent()) {
          if (context.explain()) {
            context.remark(NAME, n.describe(), "stays NCHW: " + why.get());
          }
          return false;
        }
        List<Optional<Value>> in = new ArrayList<>(n.inputs());
        in.set(0, Optional.of(readsNchw(n) ? n.input(0) : blockedOf(n.input(0))));
        if (n.optionalInput(3).isPresent()) {
          in.set(3, Optional.of(blockedOf(n.input(3))));
        }
        long channels = n.input(0).type().shape().dim(1).size();
        emit(n, "NchwcConv", in, n.attributes().toBuilder().put("channels_block", block)
            .put("channels", channels).build());
        return true;
      }
      if (n.outputs().size() != 1 || !fits(n.output(0).type())) {
        return false;
      }
      if (POOLS.containsKey(n.op()) && producedBlocked(n.input(0))
          && fits(n.input(0).type())) {
        emit(n, POOLS.get(n.op()), List.of(Optional.of(blocked.get(n.input(0).name()))),
            n.attributes().toBuilder().remove("storage_order").put("channels_block", block).build());
        return true;
      }
      boolean unary = UNARY.contains(n.op()) || (n.op().equals("Clip") && clipKeepsZero(n));
      if (unary && producedBlocked(n.input(0))
          && n.input(0).type().equals(n.output(0).type())) {
        List<Optional<Value>> in = new ArrayList<>(n.inputs());
        in.set(0, Optional.of(blocked.get(n.input(0).name())));
        emit(n, n.op(), in, n.attributes());
        return true;
      }
      if (BINARY.contains(n.op()) && n.inputCount() == 2 && n.presentInputs().size() == 2
          && n.presentInputs().stream().allMatch(v -> v.type().equals(n.output(0).type()))
          && n.presentInputs().stream().anyMatch(this::producedBlocked)) {
        emit(n, n.op(), List.of(Optional.of(blockedOf(n.input(0))),
            Optional.of(blockedOf(n.input(1)))), n.attributes());
        return true;
      }
      return false;
    }

    /**
     * Whether {@code v} was computed in the blocked layout (not merely reordered into it): a
     * pooling or elementwise node joins the region of such an operand, while one of an NCHW
     * value stays NCHW, even if the value also has a blocked copy.
     */
    boolean producedBlocked(Value v) {
      return original.containsKey(v.name());
    }

    /**
     * Whether convolution {@code n} reads its input unblocked: dense, fewer than b channels, and
     * the input not (yet) in blocked form.
     */
    boolean readsNchw(Node n) {
      long c = n.input(0).type().shape().dim(1).size();
      return n.attributes().getInt("group", 1) == 1 && c < block && !blocked.containsKey(n.input(0).name());
    }

    /** Why convolution {@code n} stays NCHW, or empty when it is blocked. */
    Optional<String> whyNotBlocked(Node n) {
      TensorType x = n.input(0).type();
      TensorType w = n.input(1).type();
      if (x.dtype() != DType.F32 || x.rank() != 4 || w.rank() != 4) {
        return Optional.of("only f32 2-D convolutions are blocked, input 0 is " + x);
      }
      if (!x.shape().dim(1).isKnown() || !w.shape().dim(0).isKnown()) {
        return Optional.of("its channel counts are not known (" + x + ", W " + w + ")");
      }
      long c = x.shape().dim(1).size();
      long m = w.shape().dim(0).size();
      long group = n.attributes().getInt("group", 1);
      if (group != 1 && !(group == c && m == c)) {
        return Optional.of("group " + group + " is neither dense (1) nor depthwise (" + c + ")");
      }
      if (group == 1 && !dense) {
        return Optional.of("dense convolutions are not blocked (option dense=false)");
      }
      if (group != 1 && 2 * c < block) {
        return Optional.of("it is depthwise over " + c + " channels of %" + n.input(0).name()
            + ", fewer than half a block of " + block);
      }
      if (n.op().equals("FusedConv")) {
        Epilogue e = Epilogue.of(n.attributes());
        if (!Blocked.keepsZero(e)) {
          return Optional.of("its activation " + e.activation().get()
              + " does not map 0 to 0, which the zero lanes past the last channel need");
        }
      }
      return Optional.empty();
    }

    /** 4-D f32 with a known channel count: a tensor the layout can hold. */
    boolean fits(TensorType t) {
      return t.dtype() == DType.F32 && t.rank() == 4 && t.shape().dim(1).isKnown();
    }

    boolean clipKeepsZero(Node n) {
      double[] bounds = {Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY};
      for (int i = 1; i <= 2; i++) {
        if (n.optionalInput(i).isPresent()) {
          Constant c = constants.get(n.input(i).name());
          if (c == null || c.data().size() != 1) {
            return false;
          }
          bounds[i - 1] = c.data().getDouble(0);
        }
      }
      return bounds[0] <= 0 && bounds[1] >= 0;
    }

    /** Emits {@code op} computing {@code n}'s output in the blocked layout. */
    void emit(Node n, String op, List<Optional<Value>> inputs, Attributes attrs) {
      Value out = n.output(0);
      Value b = new Value(fresh(out.name() + ".nchwc"), Blocked.blockedType(out.type(), block));
      nodes.add(new Node(n.name(), op, ImmutableList.copyOf(inputs), ImmutableList.of(b), attrs));
      blocked.put(out.name(), b);
      original.put(out.name(), out);
      changed = true;
    }

    /** The blocked form of {@code v}, adding its ReorderInput the first time it is needed. */
    Value blockedOf(Value v) {
      Value b = blocked.get(v.name());
      if (b == null) {
        b = new Value(fresh(v.name() + ".nchwc"), Blocked.blockedType(v.type(), block));
        nodes.add(Node.of("ReorderInput", List.of(v), List.of(b),
            Attributes.builder().put("channels_block", block).build()));
        blocked.put(v.name(), b);
      }
      return b;
    }

    /** The NCHW form of {@code v}, adding its ReorderOutput the first time it is needed. */
    Value nchwOf(Value v) {
      if (!nchw.contains(v.name())) {
        Value out = original.get(v.name());
        nodes.add(Node.of("ReorderOutput", List.of(blocked.get(v.name())), List.of(out),
            Attributes.builder().put("channels", out.type().shape().dim(1).size()).build()));
        nchw.add(v.name());
      }
      return v;
    }

    /** {@code n} with every operand in NCHW. */
    Node withNchwInputs(Node n) {
      n.presentInputs().forEach(this::nchwOf);
      return n;
    }

    String fresh(String hint) {
      String name = hint;
      for (int i = 1; !names.add(name); i++) {
        name = hint + "." + i;
      }
      return name;
    }
  }
}
