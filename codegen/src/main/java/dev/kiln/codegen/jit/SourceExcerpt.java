package dev.kiln.codegen.jit;

/** Numbered lines of source around a position, with a caret under the column. */
final class SourceExcerpt {
  private SourceExcerpt() {}

  /**
   * The lines {@code line - context .. line + context} of {@code source}, each prefixed by its
   * number, the error line marked with {@code >} and followed by a caret under {@code column}.
   *
   * @param line 1-based; lines past the end of the source are ignored
   * @param column 1-based; 0 for no caret
   */
  static String around(String source, long line, long column, int context) {
    String[] lines = source.split("\r\n|\r|\n", -1);
    // A final line break ends the last line; it does not start an empty one.
    int lineCount = lines[lines.length - 1].isEmpty() ? lines.length - 1 : lines.length;
    long first = Math.max(1, line - context);
    long last = Math.min(lineCount, line + context);
    int width = Long.toString(last).length();
    StringBuilder out = new StringBuilder();
    for (long n = first; n <= last; n++) {
      String text = lines[(int) (n - 1)];
      boolean errorLine = n == line;
      out.append(errorLine ? "  > " : "    ")
          .append(String.format("%" + width + "d", n)).append(" | ").append(text).append('\n');
      if (errorLine && column > 0) {
        out.append("    ").append(" ".repeat(width)).append(" | ")
            .append(caretIndent(text, column)).append("^\n");
      }
    }
    return out.toString().stripTrailing();
  }

  /** Spaces up to the column, keeping tabs so the caret lines up in a terminal. */
  private static String caretIndent(String text, long column) {
    StringBuilder indent = new StringBuilder();
    for (int i = 0; i < column - 1; i++) {
      indent.append(i < text.length() && text.charAt(i) == '\t' ? '\t' : ' ');
    }
    return indent.toString();
  }
}
