package dev.kiln.codegen.jit;

import com.google.common.collect.ImmutableList;
import java.util.List;
import java.util.Map;

/**
 * Kiln failed to turn generated code into classes: javac rejected a unit, or the JVM refused to
 * define or load a compiled class. The user's model is not at fault; this is a bug in Kiln's code
 * generator (or, for a missing javac, a JRE where a JDK is needed), so the message carries what a
 * Kiln developer needs to find it: every javac diagnostic with its line and column, and the
 * generated source around each one, numbered.
 */
public final class CodegenException extends RuntimeException {
  /** Lines of generated source shown before and after each diagnostic's line. */
  static final int CONTEXT_LINES = 2;

  private final ImmutableList<CompileDiagnostic> diagnostics;

  public CodegenException(String message) {
    this(message, List.of(), null);
  }

  public CodegenException(String message, Throwable cause) {
    this(message, List.of(), cause);
  }

  private CodegenException(String message, List<CompileDiagnostic> diagnostics, Throwable cause) {
    super(message, cause);
    this.diagnostics = ImmutableList.copyOf(diagnostics);
  }

  /** The same failure seen from another thread (one that waited for this compile): same message
   * and diagnostics, this one as the cause. */
  CodegenException rethrownHere() {
    return new CodegenException(getMessage(), diagnostics, this);
  }

  /**
   * javac rejected generated sources.
   *
   * @param diagnostics all of javac's diagnostics, errors first or not; only errors are shown
   * @param sources the units that were compiled, class name to source, for the excerpts
   */
  static CodegenException javacRejected(
      List<CompileDiagnostic> diagnostics, Map<String, String> sources) {
    List<CompileDiagnostic> errors = diagnostics.stream().filter(CompileDiagnostic::isError).toList();
    StringBuilder message = new StringBuilder()
        .append("internal error: javac rejected Kiln's generated code (")
        .append(errors.size()).append(errors.size() == 1 ? " error" : " errors")
        .append("); this is a bug in Kiln's code generator, please report it with this message");
    for (CompileDiagnostic error : errors) {
      message.append('\n').append(error);
      String source = sources.get(error.className());
      if (source != null && error.line() > 0) {
        message.append('\n').append(
            SourceExcerpt.around(source, error.line(), error.column(), CONTEXT_LINES));
      }
    }
    return new CodegenException(message.toString(), errors, null);
  }

  /** javac's error diagnostics when javac rejected the code; empty for other failures. */
  public ImmutableList<CompileDiagnostic> diagnostics() {
    return diagnostics;
  }
}
