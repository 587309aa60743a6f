package dev.kiln.passes.graph;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import dev.kiln.passes.pipeline.GraphPass;
import dev.kiln.passes.pipeline.PassContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code simplify}: algebraic simplification, one walk in graph order (so chains collapse as they
 * are met). The rules:
 *
 * <ol>
 *   <li>{@code Identity(x)}, and {@code Dropout(x)} (Kiln runs inference) whose mask is unused,
 *       are {@code x};
 *   <li>no-ops are their input: {@code Cast}/{@code CastLike} to x's own type, {@code Transpose}
 *       by the identity permutation, {@code Reshape}/{@code Flatten}/{@code Squeeze}/{@code
 *       Unsqueeze}/{@code Expand}/{@code Tile} to x's own static shape, {@code Pad} by zeros,
 *       {@code Slice} that keeps every element in order;
 *   <li>{@code Transpose(Transpose(x, p), q)} is {@code Transpose(x, p[q])}, or x;
 *   <li>a reshape ({@code Reshape}, {@code Flatten}, {@code Squeeze}, {@code Unsqueeze}) of a
 *       reshape is one {@code Reshape} of the first one's input to the static output shape;
 *   <li>{@code x * 1}, {@code 1 * x}, {@code x / 1}, {@code x + 0}, {@code 0 + x}, {@code x - 0}
 *       with a constant all ones or zeros that does not broadcast x to a larger shape are x.
 *       (For reals, {@code -0.0 + 0.0} is {@code +0.0}: dropping {@code + 0} keeps a {@code -0.0}
 *       the original turned positive; no other value changes.);
 *   <li>shape computations known at compile time ({@code Shape}, {@code Size} of static shapes,
 *       {@code Constant}, and integer arithmetic on constants, as the verifier infers them)
 *       become constants.
 * </ol>
 */
public final class Simplify implements GraphPass {
  public static final String NAME = "simplify";

  private static final Set<String> RESHAPES = Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze");
  private static final Set<String> SAME_SHAPE_NO_OPS =
      Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Expand", "Tile");

  private final OpRegistry registry;

  public Simplify() {
    this(OpRegistry.standard());
  }

  public Simplify(OpRegistry registry) {
    this.registry = registry;
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor edit = new GraphEditor(graph);
    for (Node node : graph.nodes()) {
      Node n = resolved(node, edit);
      boolean done = foldShapeComputation(node, n, edit)
          || forward(node, n, edit, context)
          || transposeChain(node, n, edit)
          || reshapeChain(node, n, edit);
      if (!done && n != node) {
        edit.replace(node, n);
      }
    }
    return edit.build();
  }

  /** {@code node} reading the values its inputs resolve to after the edits so far. */
  private static Node resolved(Node node, GraphEditor edit) {
    List<Optional<Value>> inputs = node.inputs().stream().map(in -> in.map(edit::resolve)).toList();
    return inputs.equals(node.inputs()) ? node
        : new Node(node.name(), node.op(), ImmutableList.copyOf(inputs), node.outputs(),
            node.attributes());
  }

  /** Rules 1, 2 and 5: nodes whose only output is one of their inputs. */
  private boolean forward(Node original, Node n, GraphEditor edit, PassContext context) {
    Optional<Value> same = switch (n.op()) {
      case "Identity" -> Optional.of(n.input(0));
      case "Dropout" -> {
        if (n.outputs().size() == 2 && !unused(n.output(1), edit)) {
          remark(context, n, "Dropout's mask output is used");
          yield Optional.empty();
        }
        yield Optional.of(n.input(0));
      }
      case "Cast" -> n.attributes().getInt("to", -1) == n.input(0).type().dtype().onnxCode()
          ? Optional.of(n.input(0)) : Optional.empty();
      case "CastLike" -> n.input(0).type().dtype() == n.input(1).type().dtype()
          ? Optional.of(n.input(0)) : Optional.empty();
      case "Transpose" -> isIdentity(perm(n)) ? Optional.of(n.input(0)) : Optional.empty();
      case "Pad" -> sameStaticShape(n) && edit.constant(n.input(1))
          .filter(p -> allEqual(p, 0)).isPresent() ? Optional.of(n.input(0)) : Optional.empty();
      case "Slice" -> sameStaticShape(n) && slicesEverything(n, edit)
          ? Optional.of(n.input(0)) : Optional.empty();
      case "Mul" -> neutralOperand(n, edit, 1, true);
      case "Add" -> neutralOperand(n, edit, 0, true);
      case "Div" -> neutralOperand(n, edit, 1, false);
      case "Sub" -> neutralOperand(n, edit, 0, false);
      default -> SAME_SHAPE_NO_OPS.contains(n.op()) && sameStaticShape(n)
          ? Optional.of(n.input(0)) : Optional.empty();
    };
    if (same.isEmpty()) {
      return false;
    }
    if (!same.get().type().equals(n.output(0).type())
        && !NodeInference.compatible(n.output(0).type(), same.get().type())) {
      remark(context, n, "its input's type " + same.get().type() + " differs from its output's");
      return false;
    }
    if (!edit.canForward(n.output(0), same.get())) {
      remark(context, n, "it copies " + same.get().name() + " to a graph output of its own");
      return false;
    }
    edit.replaceUses(n.output(0), same.get());
    edit.remove(original);
    return true;
  }

  private static boolean unused(Value v, GraphEditor edit) {
    return edit.consumers(v).isEmpty() && !edit.isGraphOutput(v);
  }

  private static boolean sameStaticShape(Node n) {
    TensorType in = n.input(0).type();
    TensorType out = n.output(0).type();
    return in.shape().isStatic() && in.equals(out);
  }

  /** A Slice whose output has the input's shape keeps everything in order when its steps are 1. */
  private static boolean slicesEverything(Node n, GraphEditor edit) {
    if (n.optionalInput(4).isEmpty()) {
      return true;
    }
    Optional<Tensor> steps = edit.constant(n.input(4));
    if (steps.isEmpty()) {
      return false;
    }
    long[] shape = n.input(0).type().shape().toLongArray();
    Optional<Tensor> axes = n.optionalInput(3).flatMap(edit::constant);
    if (n.optionalInput(3).isPresent() && axes.isEmpty()) {
      return false;
    }
    for (int i = 0; i < steps.get().size(); i++) {
      long axis = axes.isPresent() ? axes.get().getLong(i) : i;
      int a = (int) (axis < 0 ? axis + shape.length : axis);
      if (steps.get().getLong(i) != 1 && shape[a] > 1) {
        return false;
      }
    }
    return true;
  }

  /**
   * The other operand of a binary op whose constant operand is all {@code neutral}, when the
   * result has that operand's type (no broadcasting to a larger shape, no type change).
   */
  private static Optional<Value> neutralOperand(
      Node n, GraphEditor edit, double neutral, boolean commutative) {
    for (int side = 0; side < (commutative ? 2 : 1); side++) {
      Value x = n.input(side);
      Value c = n.input(1 - side);
      if (x.type().equals(n.output(0).type())
          && edit.constant(c).filter(t -> allEqual(t, neutral)).isPresent()) {
        return Optional.of(x);
      }
    }
    return Optional.empty();
  }

  private static boolean allEqual(Tensor t, double v) {
    for (long i = 0; i < t.size(); i++) {
      double e = t.dtype().isFloating() ? t.getDouble(i) : t.getLong(i);
      if (e != v) {
        return false;
      }
    }
    return true;
  }

  /** Rule 3. */
  private static boolean transposeChain(Node original, Node n, GraphEditor edit) {
    if (!n.op().equals("Transpose")) {
      return false;
    }
    Optional<Node> inner = edit.producer(n.input(0), "Transpose");
    if (inner.isEmpty()) {
      return false;
    }
    int[] p = perm(inner.get());
    int[] q = perm(n);
    long[] composed = new long[q.length];
    for (int i = 0; i < q.length; i++) {
      composed[i] = p[q[i]];
    }
    Value source = edit.resolve(inner.get().input(0));
    boolean identity = true;
    for (int i = 0; i < composed.length; i++) {
      identity &= composed[i] == i;
    }
    if (identity && source.type().equals(n.output(0).type())
        && edit.canForward(n.output(0), source)) {
      edit.replaceUses(n.output(0), source);
      edit.remove(original);
    } else {
      edit.replace(original, new Node(n.name(), "Transpose",
          ImmutableList.of(Optional.of(source)), n.outputs(),
          Attributes.builder().putInts("perm", composed).build()));
    }
    return true;
  }

  private static int[] perm(Node transpose) {
    int rank = transpose.input(0).type().rank();
    Optional<long[]> attr = transpose.attributes().getInts("perm");
    int[] perm = new int[rank];
    for (int i = 0; i < rank; i++) {
      perm[i] = attr.isPresent() ? (int) attr.get()[i] : rank - 1 - i;
    }
    return perm;
  }

  private static boolean isIdentity(int[] perm) {
    for (int i = 0; i < perm.length; i++) {
      if (perm[i] != i) {
        return false;
      }
    }
    return true;
  }

  /** Rule 4. */
  private static boolean reshapeChain(Node original, Node n, GraphEditor edit) {
    if (!RESHAPES.contains(n.op()) || !n.output(0).type().shape().isStatic()) {
      return false;
    }
    Optional<Node> inner = edit.producer(n.input(0)).filter(m -> RESHAPES.contains(m.op()));
    if (inner.isEmpty()) {
      return false;
    }
    Value source = edit.resolve(inner.get().input(0));
    if (source.type().equals(n.output(0).type()) && edit.canForward(n.output(0), source)) {
      edit.replaceUses(n.output(0), source);
      edit.remove(original);
      return true;
    }
    long[] shape = n.output(0).type().shape().toLongArray();
    Value shapeConstant = edit.addConstant(n.output(0).name() + ".shape",
        Tensor.ofLongs(new long[] {shape.length}, shape));
    edit.replace(original, new Node(n.name(), "Reshape",
        ImmutableList.of(Optional.of(source), Optional.of(shapeConstant)), n.outputs(),
        Attributes.EMPTY));
    return true;
  }

  /** Rule 6. */
  private boolean foldShapeComputation(Node original, Node n, GraphEditor edit) {
    boolean integerOutputs = n.outputs().stream()
        .allMatch(v -> !v.type().dtype().isFloating() && v.type().dtype() != DType.BOOL);
    if (!(integerOutputs || n.op().equals("Constant"))) {
      return false;
    }
    Optional<OpSchema> schema = registry.lookup(n.op());
    if (schema.isEmpty()) {
      return false;
    }
    List<Optional<TensorType>> types = new ArrayList<>();
    List<Optional<Tensor>> constants = new ArrayList<>();
    for (Optional<Value> in : n.inputs()) {
      types.add(in.map(Value::type));
      constants.add(in.flatMap(edit::constant));
    }
    NodeInference.Result result;
    try {
      result = NodeInference.infer(schema.get(), n.attributes(), types, constants,
          n.outputs().size());
    } catch (OpException e) {
      return false;
    }
    if (result.values().isEmpty()) {
      return false;
    }
    edit.remove(original);
    for (int i = 0; i < n.outputs().size(); i++) {
      Value out = n.output(i);
      edit.replaceUses(out, edit.addFoldedConstant(out.name(), result.values().get().get(i)));
    }
    return true;
  }

  private static void remark(PassContext context, Node n, String why) {
    if (context.explain()) {
      context.remark(NAME, n.describe(), "not simplified: " + why);
    }
  }
}
