package dev.kiln.frontend.npy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the subset of Python literal syntax that {@code .npy} headers use: a dict with string
 * keys whose values are strings, {@code True}/{@code False}/{@code None}, integers (with the
 * Python 2 {@code L} suffix old files carry), tuples and lists. Results are {@link String},
 * {@link Boolean}, {@link Long}, {@link Tuple}, {@link PyList} and {@link #NONE}.
 */
final class PyLiteral {
  record Tuple(List<Object> elements) {
    @Override
    public String toString() {
      return render(this);
    }
  }

  record PyList(List<Object> elements) {
    @Override
    public String toString() {
      return render(this);
    }
  }

  /** Python's {@code None}. */
  static final Object NONE = new Object() {
    @Override
    public String toString() {
      return "None";
    }
  };

  /** A syntax error at a character offset of the header text. */
  static final class SyntaxError extends Exception {
    final int position;

    SyntaxError(String message, int position) {
      super(message, null, false, false);
      this.position = position;
    }
  }

  private final String text;
  private int pos;

  private PyLiteral(String text) {
    this.text = text;
  }

  /** Parses a dict literal followed only by whitespace; keys in source order. */
  static Map<String, Object> parseDict(String text) throws SyntaxError {
    PyLiteral p = new PyLiteral(text);
    p.skipWhitespace();
    if (p.peek() != '{') {
      throw p.error("expected '{' to start the header dict, got " + p.describeHere());
    }
    Map<String, Object> dict = p.dict();
    p.skipWhitespace();
    if (p.pos < text.length()) {
      throw p.error("unexpected " + p.describeHere() + " after the header dict");
    }
    return dict;
  }

  private Map<String, Object> dict() throws SyntaxError {
    pos++; // '{'
    Map<String, Object> out = new LinkedHashMap<>();
    while (true) {
      skipWhitespace();
      if (peek() == '}') {
        pos++;
        return out;
      }
      int keyAt = pos;
      if (!(value() instanceof String key)) {
        throw new SyntaxError("dict keys must be strings", keyAt);
      }
      if (out.containsKey(key)) {
        throw new SyntaxError("duplicate key '" + key + "'", keyAt);
      }
      skipWhitespace();
      expect(':', "after a dict key");
      skipWhitespace();
      out.put(key, value());
      skipWhitespace();
      if (peek() == ',') {
        pos++;
      } else if (peek() != '}') {
        throw error("expected ',' or '}' in the dict, got " + describeHere());
      }
    }
  }

  private Object value() throws SyntaxError {
    int c = peek();
    if (c == '\'' || c == '"') {
      return string();
    }
    if (c == '(') {
      return new Tuple(sequence(')'));
    }
    if (c == '[') {
      return new PyList(sequence(']'));
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      return integer();
    }
    for (String word : new String[] {"True", "False", "None"}) {
      if (text.startsWith(word, pos)) {
        pos += word.length();
        return word.equals("None") ? NONE : Boolean.valueOf(word.equals("True"));
      }
    }
    throw error("unexpected " + describeHere() + ", expected a value");
  }

  /** Elements up to {@code close}; a 1-tuple needs its trailing comma, as in Python. */
  private List<Object> sequence(char close) throws SyntaxError {
    int start = pos;
    pos++;
    List<Object> out = new ArrayList<>();
    boolean sawComma = false;
    while (true) {
      skipWhitespace();
      if (peek() == close) {
        pos++;
        if (close == ')' && out.size() == 1 && !sawComma) {
          throw new SyntaxError("a 1-element tuple needs a trailing comma, as in (3,)", start);
        }
        return out;
      }
      out.add(value());
      skipWhitespace();
      if (peek() == ',') {
        pos++;
        sawComma = true;
      } else if (peek() != close) {
        throw error("expected ',' or '" + close + "', got " + describeHere());
      }
    }
  }

  private String string() throws SyntaxError {
    int start = pos;
    char quote = text.charAt(pos++);
    StringBuilder sb = new StringBuilder();
    while (pos < text.length()) {
      char c = text.charAt(pos++);
      if (c == quote) {
        return sb.toString();
      }
      if (c == '\\' && pos < text.length()) {
        c = text.charAt(pos++);
      }
      sb.append(c);
    }
    throw new SyntaxError("unterminated string", start);
  }

  private Long integer() throws SyntaxError {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (!(peek() >= '0' && peek() <= '9')) {
      throw error("expected a digit, got " + describeHere());
    }
    while (peek() >= '0' && peek() <= '9') {
      pos++;
    }
    String digits = text.substring(start, pos);
    if (peek() == 'L') {
      pos++;
    }
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      throw new SyntaxError("integer " + digits + " is too large", start);
    }
  }

  private void expect(char c, String context) throws SyntaxError {
    if (peek() != c) {
      throw error("expected '" + c + "' " + context + ", got " + describeHere());
    }
    pos++;
  }

  private void skipWhitespace() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
  }

  private int peek() {
    return pos < text.length() ? text.charAt(pos) : -1;
  }

  private String describeHere() {
    if (pos >= text.length()) {
      return "end of header";
    }
    char c = text.charAt(pos);
    return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("character U+%04X", (int) c);
  }

  private SyntaxError error(String message) {
    return new SyntaxError(message, pos);
  }

  /** Python's repr of a parsed value, for messages. */
  static String render(Object v) {
    return switch (v) {
      case String s -> "'" + s + "'";
      case Boolean b -> b ? "True" : "False";
      case Tuple t -> t.elements().size() == 1
          ? "(" + render(t.elements().get(0)) + ",)"
          : "(" + String.join(", ", t.elements().stream().map(PyLiteral::render).toList()) + ")";
      case PyList l ->
          "[" + String.join(", ", l.elements().stream().map(PyLiteral::render).toList()) + "]";
      default -> v.toString();
    };
  }
}
