package dev.kiln.passes.pipeline;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The type of a pass option, with its text in a pipeline string: {@code 32}, {@code true},
 * {@code name} or {@code "any text"}, {@code [8,64]}. Values are {@code Long}, {@code Boolean},
 * {@code String} and {@code ImmutableList<Long>}.
 */
public enum OptionKind {
  INT("an integer"),
  BOOL("true or false"),
  STRING("a string"),
  INT_LIST("a list of integers such as [8,64]");

  private static final Pattern BARE = Pattern.compile("[A-Za-z0-9_.\\-/:]+");

  private final String expected;

  OptionKind(String expected) {
    this.expected = expected;
  }

  /** What a value of this kind looks like, for messages. */
  public String expected() {
    return expected;
  }

  /** The value written as {@code text}; throws IllegalArgumentException saying what was expected. */
  public Object parse(String text) {
    switch (this) {
      case INT -> {
        return parseLong(text);
      }
      case BOOL -> {
        if (text.equals("true") || text.equals("false")) {
          return Boolean.valueOf(text);
        }
        throw new IllegalArgumentException("expected " + expected + ", got '" + text + "'");
      }
      case STRING -> {
        if (text.startsWith("\"")) {
          return unquote(text);
        }
        if (!BARE.matcher(text).matches()) {
          throw new IllegalArgumentException("expected " + expected
              + " (quote it when it has characters other than letters, digits and _ . - / :), got '"
              + text + "'");
        }
        return text;
      }
      case INT_LIST -> {
        if (!text.startsWith("[") || !text.endsWith("]")) {
          throw new IllegalArgumentException("expected " + expected + ", got '" + text + "'");
        }
        String inner = text.substring(1, text.length() - 1).strip();
        List<Long> values = new ArrayList<>();
        if (!inner.isEmpty()) {
          for (String part : inner.split(",", -1)) {
            values.add(parseLong(part.strip()));
          }
        }
        return ImmutableList.copyOf(values);
      }
    }
    throw new AssertionError(this);
  }

  /** The canonical text of {@code value}, which {@link #parse} reads back. */
  public String print(Object value) {
    return switch (this) {
      case INT, BOOL -> value.toString();
      case STRING -> BARE.matcher((String) value).matches() ? (String) value : quote((String) value);
      case INT_LIST -> {
        StringBuilder sb = new StringBuilder("[");
        for (Object v : (List<?>) value) {
          sb.append(sb.length() > 1 ? "," : "").append(v);
        }
        yield sb.append(']').toString();
      }
    };
  }

  /** Whether {@code value} is a Java value of this kind. */
  public boolean accepts(Object value) {
    return switch (this) {
      case INT -> value instanceof Long;
      case BOOL -> value instanceof Boolean;
      case STRING -> value instanceof String;
      case INT_LIST -> value instanceof List<?> l && l.stream().allMatch(Long.class::isInstance);
    };
  }

  private Long parseLong(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected an integer, got '" + text + "'");
    }
  }

  private static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  private static String unquote(String text) {
    if (text.length() < 2 || !text.endsWith("\"")) {
      throw new IllegalArgumentException("unterminated string " + text);
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i < text.length() - 1; i++) {
      char c = text.charAt(i);
      if (c == '\\' && i + 1 < text.length() - 1) {
        c = text.charAt(++i);
      }
      sb.append(c);
    }
    return sb.toString();
  }
}
