package dev.kiln.frontend;

import com.google.common.collect.ImmutableList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A model could not be loaded because of the user's input. Carries every problem found; the
 * message renders them all, one per {@link Diagnostic}, so a CLI prints it as it is.
 */
public final class ModelLoadException extends RuntimeException {
  private final ImmutableList<Diagnostic> diagnostics;

  public ModelLoadException(List<Diagnostic> diagnostics) {
    super(render(diagnostics), null, false, false);
    this.diagnostics = ImmutableList.copyOf(diagnostics);
  }

  public ModelLoadException(Diagnostic diagnostic) {
    this(List.of(diagnostic));
  }

  public ImmutableList<Diagnostic> diagnostics() {
    return diagnostics;
  }

  private static String render(List<Diagnostic> diagnostics) {
    String body = diagnostics.stream().map(Diagnostic::render).collect(Collectors.joining("\n"));
    return diagnostics.size() <= 1
        ? body
        : body + "\n" + diagnostics.size() + " errors";
  }
}
