package dev.kiln.passes.lower;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * What a lowering sees of one node: the buffers of its inputs and outputs, the values of inputs
 * that are constants (shape-carrying inputs such as Reshape's {@code shape}), its attributes, and
 * fresh names for the loop variables and locals of its kernel, and scratch buffers of its own
 * (an im2col matrix, a padded copy of the input) that the kernel alone uses.
 */
public final class LoweringContext {
  private final Node node;
  private final List<Optional<Buffer>> inputs;
  private final List<Buffer> outputs;
  private final List<Optional<Tensor>> constants;
  private final Set<String> usedNames = new HashSet<>();
  private final UnaryOperator<String> bufferNames;
  private final List<Buffer> scratch = new ArrayList<>();
  private final java.util.Map<Buffer, Tensor> madeConstants = new java.util.LinkedHashMap<>();
  private final long runBytes;

  /**
   * @param bufferNames gives a buffer name unused in the program for a hint (and reserves it)
   */
  LoweringContext(
      Node node,
      List<Optional<Buffer>> inputs,
      List<Buffer> outputs,
      List<Optional<Tensor>> constants,
      UnaryOperator<String> bufferNames) {
    this(node, inputs, outputs, constants, bufferNames, Long.MAX_VALUE);
  }

  /**
   * @param bufferNames gives a buffer name unused in the program for a hint (and reserves it)
   * @param runBytes the bytes of the program's constants, inputs and computed values (an upper
   *     bound of what one run touches), {@code Long.MAX_VALUE} when unknown
   */
  LoweringContext(
      Node node,
      List<Optional<Buffer>> inputs,
      List<Buffer> outputs,
      List<Optional<Tensor>> constants,
      UnaryOperator<String> bufferNames,
      long runBytes) {
    this.runBytes = runBytes;
    this.node = node;
    this.inputs = inputs;
    this.outputs = outputs;
    this.constants = constants;
    this.bufferNames = bufferNames;
  }

  /**
   * The bytes of the constants, inputs and computed values of the program this node belongs to
   * ({@code Long.MAX_VALUE} when unknown): a cost model's hint whether weights stay in the
   * last-level cache from one run to the next.
   */
  public long runBytes() {
    return runBytes;
  }

  public Node node() {
    return node;
  }

  public Attributes attrs() {
    return node.attributes();
  }

  public int inputCount() {
    return inputs.size();
  }

  public boolean hasInput(int i) {
    return i < inputs.size() && inputs.get(i).isPresent();
  }

  /** The buffer of input {@code i}, which must be present. */
  public Buffer input(int i) {
    if (!hasInput(i)) {
      throw new IllegalStateException(node.describe() + ": input " + i + " is absent");
    }
    return inputs.get(i).get();
  }

  /** The value of input {@code i} when it is a compile-time constant. */
  public Optional<Tensor> constant(int i) {
    return i < constants.size() ? constants.get(i) : Optional.empty();
  }

  /** The value of input {@code i}, which must be a compile-time constant (BindShapes ensures it). */
  public Tensor requireConstant(int i, String role) {
    return constant(i).orElseThrow(() -> new IllegalStateException(node.describe() + ": input " + i
        + " (" + role + ") is not a compile-time constant, so the output shape could not be static"));
  }

  /**
   * The node's application as inference sees it (input types and constant values), for the
   * operators' own attribute and geometry helpers and for compile-time values such as Shape's.
   */
  public InferenceContext inference() {
    List<Optional<TensorType>> types = new ArrayList<>();
    for (Optional<Buffer> b : inputs) {
      types.add(b.map(x -> TensorType.of(x.dtype(), x.shapeArray())));
    }
    return new InferenceContext(node.op(), node.attributes(), ImmutableList.copyOf(types),
        ImmutableList.copyOf(constants), outputs.size());
  }

  public int outputCount() {
    return outputs.size();
  }

  public Buffer output(int i) {
    return outputs.get(i);
  }

  /**
   * A fresh scratch buffer for this node's kernel alone (its lifetime is the kernel, so the memory
   * planner may share its bytes with any buffer not alive then). It is named after the node's
   * first output and {@code hint} ({@code %y.col}); its contents are undefined when the kernel
   * starts, so the kernel must write every element it reads.
   */
  public Buffer scratch(String hint, DType dtype, long... shape) {
    String base = outputs.isEmpty() ? "tmp" : outputs.get(0).name();
    String name = bufferNames.apply(base + "." + hint);
    Buffer b = Buffer.of(name, dtype, BufferRole.SCRATCH, shape);
    scratch.add(b);
    return b;
  }

  /**
   * A constant buffer of this kernel holding {@code data}, computed by the lowering at compile
   * time from the node's constant inputs (Winograd's transformed weights): it joins the program's
   * constants, named after the node's first output and {@code hint} ({@code %y.u}).
   */
  public Buffer constant(String hint, Tensor data) {
    String base = outputs.isEmpty() ? "tmp" : outputs.get(0).name();
    String name = bufferNames.apply(base + "." + hint);
    Buffer b = Buffer.of(name, data.dtype(), BufferRole.CONSTANT, data.shape());
    madeConstants.put(b, data);
    return b;
  }

  /** The constant buffers {@link #constant(String, Tensor)} made, with their data, in order. */
  java.util.Map<Buffer, Tensor> madeConstants() {
    return java.util.Collections.unmodifiableMap(madeConstants);
  }

  /** The scratch buffers {@link #scratch} made, in order. */
  List<Buffer> scratchBuffers() {
    return List.copyOf(scratch);
  }

  /** A loop variable named {@code hint}, or {@code hint} with a number when that is taken. */
  public Var var(String hint) {
    return new Var(fresh(hint));
  }

  public Local local(String hint, DType type) {
    return new Local(fresh(hint), type);
  }

  private String fresh(String hint) {
    String name = hint;
    for (int n = 1; !usedNames.add(name); n++) {
      name = hint + n;
    }
    return name;
  }
}
