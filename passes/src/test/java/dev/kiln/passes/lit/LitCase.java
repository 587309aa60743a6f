package dev.kiln.passes.lit;

import com.google.common.collect.ImmutableList;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One case of a lit file: the text between {@code // -----} separators, padded with blank lines so
 * that line numbers in messages are those of the file, the file's RUN arguments, the checks and
 * the expected errors.
 *
 * @param file the file name, for messages
 * @param firstLine the case's first line in the file (1-based)
 * @param text the case, preceded by {@code firstLine - 1} empty lines
 * @param passes the pipeline of the RUN line
 * @param dims {@code --dim NAME=SIZE} of the RUN line
 * @param noDiff {@code --no-diff}: do not compare results before and after the passes
 * @param checks the CHECK lines
 * @param errors the expected errors
 */
record LitCase(String file, int firstLine, String text, String passes, Map<String, Long> dims, boolean noDiff,
    ImmutableList<FileCheck.Check> checks, ImmutableList<ExpectedError> errors) {

  /**
   * {@code // expected-error {{text}}} on line {@code line} (or {@code expected-error@+N} /
   * {@code @-N} for a line below or above): an error containing {@code text} is reported at that
   * line; errors without a line (those of passes) match wherever the comment is.
   */
  record ExpectedError(int line, String text, int commentLine) {}

  private static final Pattern RUN = Pattern.compile("//\\s*RUN:(.*)$", Pattern.MULTILINE);
  private static final Pattern EXPECTED =
      Pattern.compile("//\\s*expected-error(?:@([+-]\\d+))?\\s*\\{\\{(.*?)\\}\\}");

  /** Every case of {@code path}. */
  static List<LitCase> read(Path path) throws IOException {
    String content = Files.readString(path);
    String name = path.getFileName().toString();
    Matcher run = RUN.matcher(content);
    if (!run.find()) {
      throw new IllegalArgumentException(name + ": no '// RUN: --passes=...' line");
    }
    String passes = null;
    Map<String, Long> dims = new LinkedHashMap<>();
    boolean noDiff = false;
    for (String arg : run.group(1).strip().split("\\s+")) {
      if (arg.startsWith("--passes=")) {
        passes = arg.substring("--passes=".length());
      } else if (arg.startsWith("--dim=") && arg.contains("=")) {
        String[] kv = arg.substring("--dim=".length()).split("=");
        dims.put(kv[0], Long.parseLong(kv[1]));
      } else if (arg.equals("--no-diff")) {
        noDiff = true;
      } else if (!arg.isEmpty()) {
        throw new IllegalArgumentException(name + ": unknown RUN argument '" + arg
            + "' (known: --passes=PIPELINE, --dim=NAME=SIZE, --no-diff)");
      }
    }
    if (passes == null) {
      throw new IllegalArgumentException(name + ": the RUN line has no --passes=PIPELINE");
    }
    List<LitCase> cases = new ArrayList<>();
    String[] lines = content.split("\n", -1);
    int start = 0;
    for (int i = 0; i <= lines.length; i++) {
      if (i == lines.length || lines[i].strip().equals("// -----")) {
        cases.add(of(name, lines, start, i, passes, dims, noDiff));
        start = i + 1;
      }
    }
    return cases;
  }

  private static LitCase of(String file, String[] lines, int from, int to, String passes,
      Map<String, Long> dims, boolean noDiff) {
    StringBuilder text = new StringBuilder("\n".repeat(from));
    List<ExpectedError> errors = new ArrayList<>();
    for (int i = from; i < to; i++) {
      String line = RUN.matcher(lines[i]).find() ? "" : lines[i];
      text.append(line).append('\n');
      Matcher e = EXPECTED.matcher(line);
      if (e.find()) {
        int offset = e.group(1) == null ? 0 : Integer.parseInt(e.group(1));
        errors.add(new ExpectedError(i + 1 + offset, e.group(2), i + 1));
      }
    }
    String body = String.join("\n", java.util.Arrays.copyOfRange(lines, from, to));
    return new LitCase(file, from + 1, text.toString(), passes, dims, noDiff,
        ImmutableList.copyOf(FileCheck.parse(body, file, from + 1)), ImmutableList.copyOf(errors));
  }

  @Override
  public String toString() {
    return file + ":" + firstLine;
  }
}
