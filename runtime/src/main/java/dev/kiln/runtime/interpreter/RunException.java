package dev.kiln.runtime.interpreter;

import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * A run failed because of what the caller gave it: missing, unknown or mistyped inputs, or inputs
 * an operator rejects at run time (e.g. shapes that do not broadcast). Every problem names the
 * tensor or node at fault; when several inputs are wrong, all are reported, one per line.
 */
public final class RunException extends RuntimeException {
  private final ImmutableList<String> problems;

  public RunException(String problem) {
    this(List.of(problem));
  }

  public RunException(List<String> problems) {
    super(String.join("\n", problems), null, false, false);
    this.problems = ImmutableList.copyOf(problems);
  }

  /** Each problem on its own, in the order found. */
  public ImmutableList<String> problems() {
    return problems;
  }
}
