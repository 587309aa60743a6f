package dev.kiln.codegen.jit;

import java.util.Objects;

/**
 * One message of javac about a generated compilation unit.
 *
 * @param kind {@code error}, {@code warning} or {@code note}, as javac names them
 * @param className the compilation unit's class name, or empty when javac gave no source (e.g. a
 *     bad option)
 * @param line 1-based line, or 0 when javac gave no position
 * @param column 1-based column, or 0 when javac gave no position
 * @param message javac's message, possibly several lines
 */
public record CompileDiagnostic(String kind, String className, long line, long column, String message) {
  public CompileDiagnostic {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(className, "className");
    Objects.requireNonNull(message, "message");
  }

  public boolean isError() {
    return kind.equals("error");
  }

  /** {@code dev/kiln/gen/Foo.java:3:12: error: ';' expected}, like javac prints it. */
  @Override
  public String toString() {
    StringBuilder place = new StringBuilder();
    if (!className.isEmpty()) {
      place.append(className.replace('.', '/')).append(".java");
      if (line > 0) {
        place.append(':').append(line).append(':').append(column);
      }
      place.append(": ");
    }
    return place + kind + ": " + message;
  }
}
