package dev.kiln.passes.shape;

import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * The given input shapes do not fit a graph, or a shape in it depends on data. A user error: the
 * message names the input and dim, or the node, and says what was expected.
 */
public final class ShapeBindingException extends RuntimeException {
  private final ImmutableList<String> problems;

  public ShapeBindingException(List<String> problems) {
    super(String.join("\n", problems));
    this.problems = ImmutableList.copyOf(problems);
  }

  /** Each problem, one message each, in graph order. */
  public ImmutableList<String> problems() {
    return problems;
  }
}
