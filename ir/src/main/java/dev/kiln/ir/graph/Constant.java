package dev.kiln.ir.graph;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kiln.ir.tensor.Tensor;
import java.util.Optional;

/**
 * A value whose contents are known when the model is loaded: a weight or a small inline constant.
 *
 * @param weightKey the tensor's key in the model's weights file when it came from (or should go
 *     to) one; empty for inline constants
 */
public record Constant(Value value, Tensor data, Optional<String> weightKey) {
  public Constant {
    checkArgument(
        value.type().equals(data.type()),
        "constant %%%s is declared %s but holds %s",
        value.name(),
        value.type(),
        data.type());
  }

  public static Constant inline(Value value, Tensor data) {
    return new Constant(value, data, Optional.empty());
  }

  public static Constant inline(String name, Tensor data) {
    return new Constant(new Value(name, data.type()), data, Optional.empty());
  }

  public static Constant weight(String name, Tensor data, String key) {
    return new Constant(new Value(name, data.type()), data, Optional.of(key));
  }
}
