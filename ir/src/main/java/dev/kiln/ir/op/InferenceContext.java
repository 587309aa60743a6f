package dev.kiln.ir.op;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.util.Optional;

/**
 * What shape inference sees of one operator application: its input types (absent slots empty),
 * the values of inputs known at compile time (constants and folded shape arithmetic), its
 * attributes, and how many outputs the application defines.
 */
public record InferenceContext(
    String op,
    Attributes attributes,
    ImmutableList<Optional<TensorType>> inputTypes,
    ImmutableList<Optional<Tensor>> constantInputs,
    int outputCount) {

  public InferenceContext {
    inputTypes = ImmutableList.copyOf(inputTypes);
    constantInputs = ImmutableList.copyOf(constantInputs);
  }

  public int inputCount() {
    return inputTypes.size();
  }

  public boolean hasInput(int i) {
    return i < inputTypes.size() && inputTypes.get(i).isPresent();
  }

  /** The type of input {@code i}, which the schema's arity check guarantees is present. */
  public TensorType type(int i) {
    if (!hasInput(i)) {
      throw OpException.of("input %d is required", i);
    }
    return inputTypes.get(i).get();
  }

  public Optional<TensorType> optionalType(int i) {
    return i < inputTypes.size() ? inputTypes.get(i) : Optional.empty();
  }

  /** The value of input {@code i} if it is known at compile time. */
  public Optional<Tensor> constant(int i) {
    return i < constantInputs.size() ? constantInputs.get(i) : Optional.empty();
  }

  public Attributes attrs() {
    return attributes;
  }

  /** Checks that input {@code i} has a floating-point element type. */
  public TensorType requireFloating(int i) {
    TensorType t = type(i);
    if (!t.dtype().isFloating()) {
      throw OpException.of("input %d must be a floating-point tensor, got %s", i, t);
    }
    return t;
  }

  /** Checks that input {@code i} has a numeric (not bool) element type. */
  public TensorType requireNumeric(int i) {
    TensorType t = type(i);
    if (t.dtype() == DType.BOOL) {
      throw OpException.of("input %d must be a numeric tensor, got %s", i, t);
    }
    return t;
  }

  /** Checks that input {@code i} has one of the given element types. */
  public TensorType requireDType(int i, DType... allowed) {
    TensorType t = type(i);
    for (DType d : allowed) {
      if (t.dtype() == d) {
        return t;
      }
    }
    throw OpException.of(
        "input %d must be %s, got %s", i, java.util.Arrays.toString(allowed), t);
  }

  /** Checks that inputs {@code i} and {@code j} have the same element type. */
  public void requireSameDType(int i, int j) {
    if (type(i).dtype() != type(j).dtype()) {
      throw OpException.of(
          "inputs %d and %d must have the same element type, got %s and %s",
          i, j, type(i), type(j));
    }
  }
}
