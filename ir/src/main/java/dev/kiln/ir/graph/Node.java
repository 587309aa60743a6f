package dev.kiln.ir.graph;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * One operator application: {@code op} applied to {@code inputs} with {@code attributes},
 * defining {@code outputs}. The operator's schema, shape inference and reference semantics are
 * found by name in an {@link dev.kiln.ir.op.OpRegistry}.
 *
 * <p>{@code inputs} may have absent slots (ONNX's empty input name), written {@code _} in Kiln
 * text; trailing absent slots are dropped so that equal nodes are equal records.
 *
 * @param name the node's name from the model, or empty; only for messages and round trips
 */
public record Node(
    String name,
    String op,
    ImmutableList<Optional<Value>> inputs,
    ImmutableList<Value> outputs,
    Attributes attributes) {

  public Node {
    checkArgument(!op.isEmpty(), "a node needs an operator");
    int end = inputs.size();
    while (end > 0 && inputs.get(end - 1).isEmpty()) {
      end--;
    }
    inputs = ImmutableList.copyOf(inputs.subList(0, end));
    outputs = ImmutableList.copyOf(outputs);
  }

  /** A node whose inputs are all present. */
  public static Node of(String op, List<Value> inputs, List<Value> outputs, Attributes attributes) {
    return new Node(
        "",
        op,
        inputs.stream().map(Optional::of).collect(ImmutableList.toImmutableList()),
        ImmutableList.copyOf(outputs),
        attributes);
  }

  public static Node of(String op, Value input, Value output) {
    return of(op, List.of(input), List.of(output), Attributes.EMPTY);
  }

  public static Node of(String op, Value[] inputs, Value output, Attributes attributes) {
    return of(op, Arrays.asList(inputs), List.of(output), attributes);
  }

  /** Number of input slots, absent ones included (trailing absent ones excluded). */
  public int inputCount() {
    return inputs.size();
  }

  /** Input {@code i}, which must be present. */
  public Value input(int i) {
    return inputs.get(i).orElseThrow(
        () -> new IllegalStateException("input " + i + " of " + describe() + " is absent"));
  }

  /** Input {@code i} if the slot exists and is present. */
  public Optional<Value> optionalInput(int i) {
    return i < inputs.size() ? inputs.get(i) : Optional.empty();
  }

  /** The present inputs in order. */
  public List<Value> presentInputs() {
    return inputs.stream().flatMap(Optional::stream).toList();
  }

  public Value output(int i) {
    return outputs.get(i);
  }

  public Node withName(String newName) {
    return new Node(newName, op, inputs, outputs, attributes);
  }

  public Node withAttributes(Attributes newAttributes) {
    return new Node(name, op, inputs, outputs, newAttributes);
  }

  /** How messages refer to this node: {@code Conv node 'conv1'} or {@code Conv node defining %y}. */
  public String describe() {
    if (!name.isEmpty()) {
      return op + " node '" + name + "'";
    }
    if (!outputs.isEmpty()) {
      return op + " node defining %" + outputs.get(0).name();
    }
    return op + " node";
  }
}
