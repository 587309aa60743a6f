package dev.kiln.passes.lower;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.LoopVerifier;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Lowers a graph with static shapes (the output of {@code BindShapes}) to loop IR: one buffer per
 * value (graph inputs are {@code in}, graph outputs {@code out}, constants that a kernel reads
 * {@code const} with their data, everything else {@code scratch}; buffer names are value names)
 * and one kernel per
 * node, in graph order, built by the node's {@link OpLowering}. A graph output that is not
 * computed by a node of its own (a graph input, a constant, or a value listed twice) gets a copy
 * kernel into an output buffer of its own. A lowering may ask for scratch buffers of its own
 * ({@link LoweringContext#scratch}); they join the program's scratch buffers after the node's
 * outputs; constants a lowering computes ({@link LoweringContext#constant(String, Tensor)}) join
 * the program's constants. The program is verified before it is returned.
 */
public final class GraphToLoops {
  private final Graph graph;
  private final LoweringRegistry lowerings;
  private final Map<String, Buffer> buffers = new HashMap<>();
  private final Set<String> names = new HashSet<>();
  private final Map<String, Tensor> constantData = new HashMap<>();
  /**
   * The bytes of the constants the program reads, its inputs and every value it computes: an
   * upper bound of one run's data, the cost models' hint whether weights stay in cache between
   * runs ({@link LoweringContext#runBytes}).
   */
  private long runBytes;

  private GraphToLoops(Graph graph, LoweringRegistry lowerings) {
    this.graph = graph;
    this.lowerings = lowerings;
  }

  public static LoopProgram lower(Graph staticGraph) {
    return lower(staticGraph, LoweringRegistry.standard());
  }

  /**
   * @throws IllegalArgumentException when a value's shape is not static (run BindShapes first)
   * @throws IllegalStateException when an operator has no lowering, or a lowering produced
   *     invalid loop IR (a bug, naming the node)
   */
  public static LoopProgram lower(Graph staticGraph, LoweringRegistry lowerings) {
    return new GraphToLoops(staticGraph, lowerings).run();
  }

  private LoopProgram run() {
    Set<String> outputNames = new LinkedHashSet<>();
    Map<String, Node> producers = graph.producers();
    // Every value's name is taken before any lowering names a scratch buffer of its own.
    graph.inputs().forEach(v -> names.add(v.name()));
    graph.constants().forEach(c -> names.add(c.value().name()));
    graph.nodes().forEach(n -> n.outputs().forEach(v -> names.add(v.name())));
    List<Buffer> inputs = new ArrayList<>();
    for (Value v : graph.inputs()) {
      inputs.add(declare(v, v.name(), BufferRole.INPUT));
    }
    Set<String> used = usedValues();
    Map<Buffer, Tensor> constants = new LinkedHashMap<>();
    for (Constant c : graph.constants()) {
      if (used.contains(c.value().name()) && !buffers.containsKey(c.value().name())) {
        constants.put(declare(c.value(), c.value().name(), BufferRole.CONSTANT), c.data());
        constantData.put(c.value().name(), c.data());
        runBytes += c.data().byteSize();
      }
    }
    // What a run touches at most besides the constants: the inputs and every computed value.
    for (Value v : graph.inputs()) {
      runBytes += bytes(v);
    }
    for (Node node : graph.nodes()) {
      for (Value out : node.outputs()) {
        runBytes += bytes(out);
      }
    }
    // Node outputs listed as graph outputs are written in place; the rest need a copy.
    List<Value> copies = new ArrayList<>();
    Map<Integer, Buffer> outputBuffers = new HashMap<>();
    for (int i = 0; i < graph.outputs().size(); i++) {
      Value v = graph.outputs().get(i);
      if (producers.containsKey(v.name()) && outputNames.add(v.name())) {
        outputBuffers.put(i, declare(v, v.name(), BufferRole.OUTPUT));
      } else {
        copies.add(v);
      }
    }
    List<Buffer> scratch = new ArrayList<>();
    List<Kernel> kernels = new ArrayList<>();
    for (int n = 0; n < graph.nodes().size(); n++) {
      Node node = graph.nodes().get(n);
      for (Value out : node.outputs()) {
        if (!buffers.containsKey(out.name())) {
          scratch.add(declare(out, out.name(), BufferRole.SCRATCH));
        }
      }
      kernels.add(lowerNode(node, kernelName(node.op(), n), scratch, constants));
    }
    int copyIndex = 0;
    for (int i = 0; i < graph.outputs().size(); i++) {
      if (outputBuffers.containsKey(i)) {
        continue;
      }
      Value v = graph.outputs().get(i);
      Buffer out = declare(v, freshName(v.name() + ".out"), BufferRole.OUTPUT);
      outputBuffers.put(i, out);
      kernels.add(copyKernel(buffers.get(v.name()), out, "copy_" + copyIndex++));
    }
    List<Buffer> outputs = new ArrayList<>();
    for (int i = 0; i < graph.outputs().size(); i++) {
      outputs.add(outputBuffers.get(i));
    }
    // Shape-carrying constants (Reshape's shape, Slice's starts) were read at compile time; only
    // the constants some kernel reads become buffers of the program.
    Set<Buffer> read = new HashSet<>();
    kernels.forEach(k -> read.addAll(k.buffers()));
    constants.keySet().retainAll(read);
    LoopProgram program = new LoopProgram(graph.name(), ImmutableList.copyOf(inputs),
        ImmutableList.copyOf(outputs), ImmutableMap.copyOf(constants), ImmutableList.copyOf(scratch),
        ImmutableList.copyOf(kernels));
    LoopVerifier.verifyOrThrow(program);
    return program;
  }

  private Set<String> usedValues() {
    Set<String> used = new HashSet<>();
    for (Node n : graph.nodes()) {
      n.presentInputs().forEach(v -> used.add(v.name()));
    }
    graph.outputs().forEach(v -> used.add(v.name()));
    return used;
  }

  /** The bytes of a value; 0 for a shape that is not static, which declare reports by name. */
  private static long bytes(Value v) {
    if (!v.type().shape().isStatic()) {
      return 0;
    }
    long n = v.type().dtype().byteSize();
    for (long d : v.type().shape().toLongArray()) {
      n *= d;
    }
    return n;
  }

  private Buffer declare(Value v, String name, BufferRole role) {
    TensorType t = v.type();
    if (!t.shape().isStatic()) {
      throw new IllegalArgumentException("value %" + v.name() + " has type " + t
          + ", which is not static; bind the input shapes (BindShapes) before lowering");
    }
    Buffer b = new Buffer(name, t.dtype(), ImmutableList.copyOf(
        java.util.Arrays.stream(t.shape().toLongArray()).boxed().toList()), role, v.name());
    names.add(name);
    if (role != BufferRole.OUTPUT || !buffers.containsKey(v.name())) {
      buffers.putIfAbsent(v.name(), b);
    }
    return b;
  }

  /** A fresh buffer name for a lowering's own scratch buffer, reserved so that none reuses it. */
  private String reserveName(String hint) {
    String name = freshName(hint);
    names.add(name);
    return name;
  }

  private String freshName(String hint) {
    String name = hint;
    for (int n = 1; names.contains(name); n++) {
      name = hint + n;
    }
    return name;
  }

  private Kernel lowerNode(Node node, String name, List<Buffer> scratch, Map<Buffer, Tensor> constants) {
    OpLowering lowering = lowerings.lookup(node.op()).orElseThrow(
        () -> new IllegalStateException(node.describe() + ": no lowering to loop IR for " + node.op()));
    List<Optional<Buffer>> ins = new ArrayList<>();
    List<Optional<Tensor>> consts = new ArrayList<>();
    for (Optional<Value> in : node.inputs()) {
      ins.add(in.map(v -> buffers.get(v.name())));
      consts.add(in.flatMap(v -> Optional.ofNullable(constantData.get(v.name()))));
    }
    List<Buffer> outs = node.outputs().stream().map(v -> buffers.get(v.name())).toList();
    LoweringContext ctx = new LoweringContext(node, ins, outs, consts, this::reserveName, runBytes);
    Stmt body;
    try {
      body = lowering.lower(ctx);
    } catch (RuntimeException e) {
      throw new IllegalStateException("internal error lowering " + node.describe() + ": " + e, e);
    }
    scratch.addAll(ctx.scratchBuffers());
    constants.putAll(ctx.madeConstants());
    return new Kernel(name, touched(body, ins, outs), body, node.describe());
  }

  /** The buffers a body reads or writes, inputs first, in node order. */
  private static ImmutableList<Buffer> touched(
      Stmt body, List<Optional<Buffer>> ins, List<Buffer> outs) {
    Set<Buffer> seen = new HashSet<>();
    collect(body, seen);
    Set<Buffer> ordered = new LinkedHashSet<>();
    ins.forEach(b -> b.filter(seen::contains).ifPresent(ordered::add));
    outs.stream().filter(seen::contains).forEach(ordered::add);
    ordered.addAll(seen); // none expected: lowerings touch only their node's buffers
    return ImmutableList.copyOf(ordered);
  }

  private static void collect(Stmt s, Set<Buffer> seen) {
    switch (s) {
      case Stmt.For f -> collect(f.body(), seen);
      case Stmt.Store st -> {
        seen.add(st.buffer());
        st.indices().forEach(e -> collect(e, seen));
        collect(st.value(), seen);
      }
      case Stmt.Block b -> b.stmts().forEach(x -> collect(x, seen));
      case Stmt.If i -> {
        collect(i.condition(), seen);
        collect(i.then(), seen);
        i.otherwise().ifPresent(o -> collect(o, seen));
      }
      case Stmt.Let l -> collect(l.init(), seen);
      case Stmt.Assign a -> collect(a.value(), seen);
      case Stmt.Matmul mm -> {
        seen.add(mm.c().buffer());
        collect(mm.c().offset(), seen);
        for (var x : mm.reads()) {
          seen.add(x.buffer());
          collect(x.offset(), seen);
        }
      }
      case Stmt.BlockedConv cv -> {
        seen.add(cv.y());
        seen.addAll(cv.reads());
      }
      case Stmt.Attention at -> {
        collect(at.scores(), seen);
        collect(at.output(), seen);
      }
    }
  }

  private static void collect(Expr e, Set<Buffer> seen) {
    switch (e) {
      case Expr.Load l -> {
        seen.add(l.buffer());
        l.indices().forEach(x -> collect(x, seen));
      }
      case Expr.Binary b -> {
        collect(b.lhs(), seen);
        collect(b.rhs(), seen);
      }
      case Expr.Unary u -> collect(u.operand(), seen);
      case Expr.Call c -> c.args().forEach(x -> collect(x, seen));
      case Expr.Cast c -> collect(c.operand(), seen);
      case Expr.Select s -> {
        collect(s.condition(), seen);
        collect(s.ifTrue(), seen);
        collect(s.ifFalse(), seen);
      }
      default -> { }
    }
  }

  private static Kernel copyKernel(Buffer from, Buffer to, String name) {
    LoweringContext ctx = new LoweringContext(
        new Node("", "Identity", ImmutableList.of(), ImmutableList.of(),
            dev.kiln.ir.graph.Attributes.EMPTY),
        List.of(Optional.of(from)), List.of(to), List.of(Optional.empty()), hint -> {
          throw new IllegalStateException("a copy kernel needs no scratch buffer");
        });
    Stmt body = Nests.pointwise(ctx, to, vars -> dev.kiln.ir.loop.Exprs.load(from, vars));
    return new Kernel(name, ImmutableList.of(from, to), body,
        "copy of %" + from.origin() + " to graph output");
  }

  /** {@code conv_3} for the Conv node at index 3, {@code reduce_sum_7} for ReduceSum. */
  static String kernelName(String op, int index) {
    String snake = op.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    return snake + "_" + index;
  }
}
