package dev.kiln.frontend.kiln;

import com.google.common.collect.ImmutableList;
import dev.kiln.frontend.Diagnostic;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.TerminalNode;

/**
 * The text being read and the errors found in it so far. Errors are collected rather than thrown
 * so that one run reports every problem of the file.
 */
final class SourceFile {
  private final String name;
  private final ImmutableList<String> lines;
  private final List<Diagnostic> errors = new ArrayList<>();

  SourceFile(String name, String text) {
    this.name = name;
    this.lines = ImmutableList.copyOf(text.split("\r?\n", -1));
  }

  String name() {
    return name;
  }

  boolean hasErrors() {
    return !errors.isEmpty();
  }

  /** The errors in the order of their place in the file (those without a place first). */
  ImmutableList<Diagnostic> errors() {
    return errors.stream()
        .sorted(Comparator.comparingInt(Diagnostic::line).thenComparingInt(Diagnostic::column))
        .collect(ImmutableList.toImmutableList());
  }

  int errorCount() {
    return errors.size();
  }

  /** An error at a token. */
  void error(Token at, String message) {
    errors.add(diagnostic(at.getLine(), at.getCharPositionInLine(), message));
  }

  /** An error at the first token of a piece of syntax. */
  void error(ParserRuleContext at, String message) {
    error(at.getStart(), message);
  }

  void error(TerminalNode at, String message) {
    error(at.getSymbol(), message);
  }

  /** An error with no place in the text (e.g. the file cannot be read). */
  void error(String message) {
    errors.add(Diagnostic.of(name, message));
  }

  /**
   * ANTLR counts columns in code points from 0; the caret of {@link Diagnostic#render} counts
   * UTF-16 chars from 1, so convert to keep the caret under the right character after an emoji.
   */
  Diagnostic diagnostic(int line, int codePointColumn, String message) {
    String text = line >= 1 && line <= lines.size() ? lines.get(line - 1) : "";
    int column = codePointColumn + 1;
    if (codePointColumn >= 0 && codePointColumn <= text.codePointCount(0, text.length())) {
      column = text.offsetByCodePoints(0, codePointColumn) + 1;
    }
    return new Diagnostic(name, line, Math.max(column, 1), message, text);
  }

  void add(Diagnostic d) {
    errors.add(d);
  }
}
