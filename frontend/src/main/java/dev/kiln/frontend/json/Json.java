package dev.kiln.frontend.json;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.frontend.json.JsonValue.JsonArray;
import dev.kiln.frontend.json.JsonValue.JsonBoolean;
import dev.kiln.frontend.json.JsonValue.JsonNull;
import dev.kiln.frontend.json.JsonValue.JsonNumber;
import dev.kiln.frontend.json.JsonValue.JsonObject;
import dev.kiln.frontend.json.JsonValue.JsonString;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict RFC 8259 JSON parser for small documents such as weight-file headers. Strict means:
 * no comments, no trailing commas, no single quotes, no leading zeros, no unescaped control
 * characters, and, beyond the RFC's "SHOULD", no duplicate object keys (a weights header with a
 * key twice is ambiguous, and silently taking the last one would load the wrong tensor).
 */
public final class Json {
  /** Nesting deeper than this is rejected rather than risking a stack overflow. */
  static final int MAX_DEPTH = 512;

  private final String text;
  private int pos;
  private int depth;

  private Json(String text) {
    this.text = text;
  }

  /** Parses one JSON value; only whitespace may follow it. */
  public static JsonValue parse(String text) {
    Json p = new Json(text);
    p.skipWhitespace();
    JsonValue v = p.value();
    p.skipWhitespace();
    if (p.pos < text.length()) {
      throw p.error("unexpected " + p.describeHere() + " after the JSON value");
    }
    return v;
  }

  private JsonValue value() {
    if (pos >= text.length()) {
      throw error("unexpected end of input, expected a value");
    }
    char c = text.charAt(pos);
    return switch (c) {
      case '{' -> object();
      case '[' -> array();
      case '"' -> new JsonString(string());
      case 't' -> literal("true", new JsonBoolean(true));
      case 'f' -> literal("false", new JsonBoolean(false));
      case 'n' -> literal("null", new JsonNull());
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) {
          yield number();
        }
        throw error("unexpected " + describeHere() + ", expected a value");
      }
    };
  }

  private JsonObject object() {
    enter();
    pos++; // '{'
    Map<String, JsonValue> members = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      depth--;
      return new JsonObject(ImmutableMap.of());
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw error("expected a string key, got " + describeHere());
      }
      int keyStart = pos;
      String key = string();
      if (members.containsKey(key)) {
        throw new JsonSyntaxException("duplicate key " + quote(key), keyStart);
      }
      skipWhitespace();
      expect(':', "after an object key");
      skipWhitespace();
      members.put(key, value());
      skipWhitespace();
      if (peek() == ',') {
        pos++;
        continue;
      }
      expect('}', "or ',' in an object");
      depth--;
      return new JsonObject(ImmutableMap.copyOf(members));
    }
  }

  private JsonArray array() {
    enter();
    pos++; // '['
    List<JsonValue> elements = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      depth--;
      return new JsonArray(ImmutableList.of());
    }
    while (true) {
      skipWhitespace();
      elements.add(value());
      skipWhitespace();
      if (peek() == ',') {
        pos++;
        continue;
      }
      expect(']', "or ',' in an array");
      depth--;
      return new JsonArray(ImmutableList.copyOf(elements));
    }
  }

  private String string() {
    int start = pos;
    pos++; // opening quote
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw new JsonSyntaxException("unterminated string", start);
      }
      char c = text.charAt(pos);
      if (c == '"') {
        pos++;
        return sb.toString();
      }
      if (c < 0x20) {
        throw error(String.format("unescaped control character U+%04X in a string", (int) c));
      }
      if (c != '\\') {
        sb.append(c);
        pos++;
        continue;
      }
      pos++;
      if (pos >= text.length()) {
        throw new JsonSyntaxException("unterminated string", start);
      }
      char e = text.charAt(pos++);
      switch (e) {
        case '"', '\\', '/' -> sb.append(e);
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> sb.append(unicodeEscape());
        default -> {
          pos--;
          throw error("invalid escape '\\" + e + "'");
        }
      }
    }
  }

  /** The 4 hex digits after {@code \\u}; surrogate pairs come out as two chars, which is right. */
  private char unicodeEscape() {
    if (pos + 4 > text.length()) {
      throw error("truncated \\u escape");
    }
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(text.charAt(pos + i), 16);
      if (d < 0) {
        throw error("invalid \\u escape: expected 4 hex digits");
      }
      v = v * 16 + d;
    }
    pos += 4;
    return (char) v;
  }

  private JsonNumber number() {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
      if (isDigit(peek())) {
        throw error("leading zero in a number");
      }
    } else if (isDigit(peek())) {
      digits();
    } else {
      throw error("expected a digit, got " + describeHere());
    }
    if (peek() == '.') {
      pos++;
      if (!isDigit(peek())) {
        throw error("expected a digit after '.', got " + describeHere());
      }
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw error("expected a digit in the exponent, got " + describeHere());
      }
      digits();
    }
    return new JsonNumber(text.substring(start, pos));
  }

  private void digits() {
    while (isDigit(peek())) {
      pos++;
    }
  }

  private JsonValue literal(String word, JsonValue v) {
    if (!text.startsWith(word, pos)) {
      throw error("unexpected " + describeHere() + ", expected a value");
    }
    pos += word.length();
    return v;
  }

  private void enter() {
    if (++depth > MAX_DEPTH) {
      throw error("nesting deeper than " + MAX_DEPTH);
    }
  }

  private void expect(char c, String context) {
    if (peek() != c) {
      throw error("expected '" + c + "' " + context + ", got " + describeHere());
    }
    pos++;
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  /** The current character, or -1 at the end. */
  private int peek() {
    return pos < text.length() ? text.charAt(pos) : -1;
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  private String describeHere() {
    if (pos >= text.length()) {
      return "end of input";
    }
    char c = text.charAt(pos);
    return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("character U+%04X", (int) c);
  }

  private JsonSyntaxException error(String problem) {
    return new JsonSyntaxException(problem, pos);
  }

  /** {@code s} as a JSON string literal: for messages and for writers. */
  public static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
