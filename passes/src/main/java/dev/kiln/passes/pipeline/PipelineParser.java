package dev.kiln.passes.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads the pipeline syntax of {@link Pipeline}: names resolved in the registry, option values
 * typed by their pass, and the IR level checked step by step (a graph pass after lowering is an
 * error at its column). Every error names its 1-based column.
 */
final class PipelineParser {
  private final String text;
  private final PassRegistry registry;
  /** Named pipelines being expanded, to refuse a definition that names itself. */
  private final Set<String> expanding;
  private int pos;
  private IrLevel level = IrLevel.GRAPH;
  private String lastLowering;
  private int lastLoweringColumn;

  PipelineParser(String text, PassRegistry registry) {
    this(text, registry, Set.of());
  }

  private PipelineParser(String text, PassRegistry registry, Set<String> expanding) {
    this.text = text;
    this.registry = registry;
    this.expanding = expanding;
  }

  Pipeline parse() {
    List<Pipeline.Step> steps = new ArrayList<>();
    skipSpaces();
    if (pos == text.length()) {
      return Pipeline.empty();
    }
    while (true) {
      steps.add(step());
      skipSpaces();
      if (pos == text.length()) {
        return new Pipeline(steps);
      }
      if (text.charAt(pos) != ',') {
        throw error(pos, "expected ',' between passes, got '" + text.charAt(pos) + "'");
      }
      pos++;
      skipSpaces();
      if (pos == text.length()) {
        throw error(pos, "expected a pass name after ','");
      }
    }
  }

  private Pipeline.Step step() {
    int start = pos;
    String name = name("a pass name");
    var named = registry.pipeline(name);
    if (named.isPresent()) {
      skipSpaces();
      if (pos < text.length() && text.charAt(pos) == '{') {
        throw error(pos, "'" + name + "' is a named pipeline; it takes no options");
      }
      return namedStep(named.get(), start);
    }
    PassInfo info = registry.pass(name).orElseThrow(() -> error(start, "unknown pass '" + name + "'"
        + PassRegistry.didYouMean(registry.nearMatches(name))));
    checkLevel(info, start);
    skipSpaces();
    Map<String, Object> options = new LinkedHashMap<>();
    if (pos < text.length() && text.charAt(pos) == '{') {
      pos++;
      skipSpaces();
      if (pos < text.length() && text.charAt(pos) == '}') {
        pos++;
      } else {
        while (true) {
          option(info, options);
          skipSpaces();
          if (pos == text.length()) {
            throw error(pos, "expected '}' to close the options of " + name);
          }
          char c = text.charAt(pos++);
          if (c == '}') {
            break;
          }
          if (c != ',') {
            throw error(pos - 1, "expected ',' or '}' in the options of " + name + ", got '" + c + "'");
          }
          skipSpaces();
        }
      }
    }
    return new Pipeline.PassStep(info, new PassOptions(info, options));
  }

  private Pipeline.Step namedStep(NamedPipeline named, int start) {
    if (expanding.contains(named.name())) {
      throw error(start, "named pipeline '" + named.name() + "' refers to itself");
    }
    Set<String> inner = new java.util.HashSet<>(expanding);
    inner.add(named.name());
    PipelineParser sub = new PipelineParser(named.text(), registry, inner);
    sub.level = level;
    sub.lastLowering = lastLowering;
    sub.lastLoweringColumn = lastLoweringColumn;
    Pipeline expansion;
    try {
      expansion = sub.parse();
    } catch (PipelineException e) {
      throw error(start, "in named pipeline " + named.name() + " = '" + named.text() + "': "
          + e.problem());
    }
    if (sub.level != level) {
      lastLowering = named.name();
      lastLoweringColumn = start + 1;
    }
    level = sub.level;
    return new Pipeline.NamedStep(named, expansion);
  }

  private void checkLevel(PassInfo info, int start) {
    if (info.input() != level) {
      throw error(start, "pass '" + info.argument() + "' works on " + info.input().description()
          + ", but the IR is " + level.description() + " here"
          + (lastLowering == null ? "" : " (after '" + lastLowering + "' at column " + lastLoweringColumn + ")"));
    }
    if (info.output() != level) {
      lastLowering = info.argument();
      lastLoweringColumn = start + 1;
      level = info.output();
    }
  }

  private void option(PassInfo info, Map<String, Object> options) {
    int keyStart = pos;
    String key = name("an option name");
    PassOption option = info.option(key).orElseThrow(() -> error(keyStart, "pass '" + info.argument()
        + "' has no option '" + key + "'" + (info.options().isEmpty() ? " (it takes none)"
            : "; its options are " + info.options().stream().map(PassOption::toString)
                .collect(Collectors.joining(", ")))));
    if (options.containsKey(key)) {
      throw error(keyStart, "option '" + key + "' is given twice");
    }
    skipSpaces();
    if (pos == text.length() || text.charAt(pos) != '=') {
      throw error(pos, "expected '=' after option '" + key + "'");
    }
    pos++;
    skipSpaces();
    int valueStart = pos;
    String raw = rawValue();
    if (raw.isEmpty()) {
      throw error(valueStart, "expected a value for option '" + key + "' (" + option.kind().expected() + ")");
    }
    try {
      options.put(key, option.kind().parse(raw));
    } catch (IllegalArgumentException e) {
      throw error(valueStart, "option '" + key + "' of pass '" + info.argument() + "': " + e.getMessage());
    }
  }

  /** The text of one value: a bracketed list, a quoted string, or everything up to ',' or '}'. */
  private String rawValue() {
    int start = pos;
    if (pos < text.length() && text.charAt(pos) == '[') {
      int close = text.indexOf(']', pos);
      if (close < 0) {
        throw error(pos, "unterminated list: expected ']'");
      }
      pos = close + 1;
      return text.substring(start, pos);
    }
    if (pos < text.length() && text.charAt(pos) == '"') {
      pos++;
      while (pos < text.length() && text.charAt(pos) != '"') {
        pos += text.charAt(pos) == '\\' ? 2 : 1;
      }
      if (pos >= text.length()) {
        throw error(start, "unterminated string: expected '\"'");
      }
      pos++;
      return text.substring(start, pos);
    }
    while (pos < text.length() && text.charAt(pos) != ',' && text.charAt(pos) != '}') {
      pos++;
    }
    return text.substring(start, pos).strip();
  }

  private String name(String what) {
    int start = pos;
    while (pos < text.length()
        && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '-' || text.charAt(pos) == '_')) {
      pos++;
    }
    if (pos == start) {
      throw error(pos, "expected " + what + (pos < text.length() ? ", got '" + text.charAt(pos) + "'" : ""));
    }
    return text.substring(start, pos);
  }

  private void skipSpaces() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
  }

  private PipelineException error(int at, String problem) {
    return new PipelineException(text, at + 1, problem);
  }
}
