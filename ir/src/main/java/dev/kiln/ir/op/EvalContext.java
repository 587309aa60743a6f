package dev.kiln.ir.op;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.tensor.Tensor;
import java.util.Optional;

/** The inputs and attributes of one operator application run by the reference semantics. */
public record EvalContext(
    String op, Attributes attributes, ImmutableList<Optional<Tensor>> inputs, int outputCount) {

  public EvalContext {
    inputs = ImmutableList.copyOf(inputs);
  }

  public int inputCount() {
    return inputs.size();
  }

  public boolean hasInput(int i) {
    return i < inputs.size() && inputs.get(i).isPresent();
  }

  /** Input {@code i}, which must be present. */
  public Tensor input(int i) {
    if (!hasInput(i)) {
      throw OpException.of("input %d is required", i);
    }
    return inputs.get(i).get();
  }

  public Optional<Tensor> optionalInput(int i) {
    return i < inputs.size() ? inputs.get(i) : Optional.empty();
  }

  public Attributes attrs() {
    return attributes;
  }
}
