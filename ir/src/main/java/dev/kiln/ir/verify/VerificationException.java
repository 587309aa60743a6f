package dev.kiln.ir.verify;

import com.google.common.collect.ImmutableList;
import java.util.List;
import java.util.stream.Collectors;

/** A graph failed verification; carries every problem found, not only the first. */
public final class VerificationException extends RuntimeException {
  private final ImmutableList<VerifierError> errors;

  public VerificationException(String graphName, List<VerifierError> errors) {
    super(
        "graph '" + graphName + "' is invalid ("
            + errors.size() + (errors.size() == 1 ? " problem" : " problems") + "):\n  "
            + errors.stream().map(VerifierError::toString).collect(Collectors.joining("\n  ")),
        null, false, false);
    this.errors = ImmutableList.copyOf(errors);
  }

  public ImmutableList<VerifierError> errors() {
    return errors;
  }
}
