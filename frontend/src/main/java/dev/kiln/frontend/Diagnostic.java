package dev.kiln.frontend;

/**
 * A user-facing error at a place in a source file, rendered as
 * {@code file:line:col: error: message}, then the source line and a caret under the column.
 *
 * @param source the file name as the user gave it
 * @param line 1-based line, or 0 when the problem has no line (e.g. a weights file)
 * @param column 1-based column, or 0
 * @param sourceLine the text of that line, or empty
 */
public record Diagnostic(String source, int line, int column, String message, String sourceLine) {

  public static Diagnostic of(String source, String message) {
    return new Diagnostic(source, 0, 0, message, "");
  }

  public String render() {
    StringBuilder sb = new StringBuilder(source);
    if (line > 0) {
      sb.append(':').append(line);
      if (column > 0) {
        sb.append(':').append(column);
      }
    }
    sb.append(": error: ").append(message);
    if (!sourceLine.isEmpty()) {
      sb.append('\n').append(sourceLine.stripTrailing());
      if (column > 0) {
        sb.append('\n');
        for (int i = 1; i < column && i - 1 < sourceLine.length(); i++) {
          sb.append(sourceLine.charAt(i - 1) == '\t' ? '\t' : ' ');
        }
        sb.append('^');
      }
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return render();
  }
}
