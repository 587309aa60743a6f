package dev.kiln.passes.lit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small FileCheck: checks text (printed IR) against {@code // CHECK...} lines, the way LLVM's
 * FileCheck does for MLIR tests.
 *
 * <ul>
 *   <li>{@code CHECK: text} — the text occurs on a line at or after the current position; the
 *       position moves past it.
 *   <li>{@code CHECK-NEXT: text} — on the line right after the previous match.
 *   <li>{@code CHECK-SAME: text} — on the same line as the previous match, after it.
 *   <li>{@code CHECK-NOT: text} — does not occur between the previous match and the next one (or
 *       the end).
 *   <li>{@code CHECK-LABEL: text} — like CHECK, and splits the output into blocks: checks before a
 *       label never match past it.
 * </ul>
 *
 * In a pattern, spaces match any run of spaces, {@code {{regex}}} is a regular expression,
 * {@code [[NAME:regex]]} captures what the regex matched, and {@code [[NAME]]} matches exactly what
 * was captured earlier. Every failure names the check's file and line and shows the output near
 * where it was looked for.
 */
public final class FileCheck {
  /** The kinds of check lines. */
  enum Kind {
    CHECK, NEXT, SAME, NOT, LABEL
  }

  /** One check line. */
  record Check(Kind kind, String pattern, String file, int line) {
    String where() {
      return file + ":" + line;
    }

    String text() {
      return switch (kind) {
        case CHECK -> "CHECK: ";
        case NEXT -> "CHECK-NEXT: ";
        case SAME -> "CHECK-SAME: ";
        case NOT -> "CHECK-NOT: ";
        case LABEL -> "CHECK-LABEL: ";
      } + pattern;
    }
  }

  private static final Pattern CHECK_LINE =
      Pattern.compile("//\\s*CHECK(-NEXT|-SAME|-NOT|-LABEL)?:(.*)$");

  private FileCheck() {}

  /** The check lines of {@code text}, numbered from {@code firstLine}. */
  public static List<Check> parse(String text, String file, int firstLine) {
    List<Check> checks = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      Matcher m = CHECK_LINE.matcher(lines[i].strip());
      if (!m.find()) {
        continue;
      }
      Kind kind = m.group(1) == null ? Kind.CHECK : switch (m.group(1)) {
        case "-NEXT" -> Kind.NEXT;
        case "-SAME" -> Kind.SAME;
        case "-NOT" -> Kind.NOT;
        default -> Kind.LABEL;
      };
      String pattern = m.group(2).strip();
      if (pattern.isEmpty()) {
        throw new IllegalArgumentException(file + ":" + (firstLine + i) + ": empty check pattern");
      }
      checks.add(new Check(kind, pattern, file, firstLine + i));
    }
    return checks;
  }

  /** A failed check: its message names the check line and shows the output. */
  public static final class CheckFailure extends AssertionError {
    CheckFailure(String message) {
      super(message);
    }
  }

  /**
   * Checks {@code output} against {@code checks}.
   *
   * @throws CheckFailure naming the first check that fails
   */
  public static void check(String output, List<Check> checks) {
    List<String> lines = List.of(output.split("\n", -1));
    // Labels first: each must match, in order; they bound the blocks the other checks search.
    List<Integer> labelLines = new ArrayList<>();
    Map<String, String> vars = new HashMap<>();
    int from = 0;
    for (Check c : checks) {
      if (c.kind() == Kind.LABEL) {
        Optional<int[]> m = find(lines, from, lines.size(), 0, c, new HashMap<>(vars), c.pattern());
        if (m.isEmpty()) {
          throw failure(c, "no match for the label", lines, from);
        }
        labelLines.add(m.get()[0]);
        from = m.get()[0] + 1;
      }
    }
    int line = 0;
    int col = 0;
    int labelIndex = 0;
    int blockEnd = labelLines.isEmpty() ? lines.size() : labelLines.get(0);
    List<Check> pendingNots = new ArrayList<>();
    for (Check c : checks) {
      if (c.kind() == Kind.NOT) {
        pendingNots.add(c);
        continue;
      }
      Optional<int[]> m;
      switch (c.kind()) {
        case LABEL -> {
          int at = labelLines.get(labelIndex++);
          blockEnd = labelIndex < labelLines.size() ? labelLines.get(labelIndex) : lines.size();
          m = find(lines, at, at + 1, 0, c, vars, c.pattern());
          checkNots(pendingNots, lines, line, col, at, 0, vars);
        }
        case CHECK -> {
          m = find(lines, line, blockEnd, col, c, vars, c.pattern());
          if (m.isEmpty()) {
            throw failure(c, "no match", lines, line);
          }
          checkNots(pendingNots, lines, line, col, m.get()[0], m.get()[1], vars);
        }
        case NEXT -> {
          int next = line + 1;
          m = next < lines.size() ? find(lines, next, next + 1, 0, c, vars, c.pattern()) : Optional.empty();
          if (m.isEmpty()) {
            throw failure(c, "no match on the line after the previous match (line " + (line + 1)
                + " of the output)", lines, next);
          }
          checkNots(pendingNots, lines, line, col, m.get()[0], m.get()[1], vars);
        }
        case SAME -> {
          m = find(lines, line, line + 1, col, c, vars, c.pattern());
          if (m.isEmpty()) {
            throw failure(c, "no match on the same line as the previous match (line " + (line + 1)
                + " of the output)", lines, line);
          }
          checkNots(pendingNots, lines, line, col, m.get()[0], m.get()[1], vars);
        }
        default -> throw new AssertionError(c.kind());
      }
      pendingNots.clear();
      line = m.get()[0];
      col = m.get()[2];
    }
    checkNots(pendingNots, lines, line, col, blockEnd, 0, vars);
  }

  private static void checkNots(List<Check> nots, List<String> lines, int fromLine, int fromCol,
      int toLine, int toCol, Map<String, String> vars) {
    for (Check n : nots) {
      for (int l = fromLine; l <= Math.min(toLine, lines.size() - 1); l++) {
        String text = lines.get(l);
        int start = l == fromLine ? fromCol : 0;
        int end = l == toLine ? Math.max(start, toCol) : text.length();
        if (l == toLine && toCol == 0 && l != fromLine) {
          break;
        }
        Matcher m = compile(n, vars, n.pattern(), false).matcher(text);
        m.region(Math.min(start, text.length()), Math.min(end, text.length()));
        if (m.find()) {
          throw failure(n, "found what must not be there, on line " + (l + 1) + " of the output", lines, l);
        }
      }
    }
  }

  /** The first match at or after (line, col) before {@code endLine}: {line, start col, end col}. */
  private static Optional<int[]> find(List<String> lines, int line, int endLine, int col, Check c,
      Map<String, String> vars, String pattern) {
    for (int l = line; l < Math.min(endLine, lines.size()); l++) {
      Pattern p = compile(c, vars, pattern, true);
      Matcher m = p.matcher(lines.get(l));
      int start = l == line ? Math.min(col, lines.get(l).length()) : 0;
      if (m.find(start)) {
        for (String name : names(pattern)) {
          vars.put(name, m.group(name));
        }
        return Optional.of(new int[] {l, m.start(), m.end()});
      }
    }
    return Optional.empty();
  }

  private static final Pattern TOKEN = Pattern.compile("\\{\\{(.*?)\\}\\}|\\[\\[([A-Za-z_][A-Za-z0-9_]*)(?::(.*?))?\\]\\]");

  private static List<String> names(String pattern) {
    List<String> names = new ArrayList<>();
    Matcher t = TOKEN.matcher(pattern);
    while (t.find()) {
      if (t.group(2) != null && t.group(3) != null) {
        names.add(t.group(2));
      }
    }
    return names;
  }

  private static Pattern compile(Check c, Map<String, String> vars, String pattern, boolean capture) {
    StringBuilder regex = new StringBuilder();
    Matcher t = TOKEN.matcher(pattern);
    int last = 0;
    while (t.find()) {
      regex.append(literal(pattern.substring(last, t.start())));
      if (t.group(1) != null) {
        regex.append("(?:").append(t.group(1)).append(')');
      } else if (t.group(3) != null) {
        regex.append(capture ? "(?<" + t.group(2) + ">" : "(?:").append(t.group(3)).append(')');
      } else {
        String value = vars.get(t.group(2));
        if (value == null) {
          throw new CheckFailure(c.where() + ": " + c.text() + "\n  uses [[" + t.group(2)
              + "]], which no earlier check captured");
        }
        regex.append(Pattern.quote(value));
      }
      last = t.end();
    }
    regex.append(literal(pattern.substring(last)));
    try {
      return Pattern.compile(regex.toString());
    } catch (java.util.regex.PatternSyntaxException e) {
      throw new CheckFailure(c.where() + ": " + c.text() + "\n  bad regular expression: " + e.getDescription());
    }
  }

  /** Literal text, where a run of spaces matches any run of spaces. */
  private static String literal(String text) {
    return java.util.Arrays.stream(text.split(" +", -1)).map(part -> part.isEmpty() ? "" : Pattern.quote(part))
        .collect(java.util.stream.Collectors.joining(" +"));
  }

  private static CheckFailure failure(Check c, String what, List<String> lines, int near) {
    StringBuilder sb = new StringBuilder(c.where()).append(": ").append(c.text()).append("\n  ")
        .append(what).append("; the output (> where the search started):\n");
    for (int i = 0; i < lines.size(); i++) {
      sb.append(i == near ? "> " : "  ").append(String.format("%3d  ", i + 1)).append(lines.get(i)).append('\n');
    }
    return new CheckFailure(sb.toString());
  }
}
