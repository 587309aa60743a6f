package dev.kiln.ir.loop;

import java.util.regex.Pattern;

/** How loop-IR text shows names: bare when plain, quoted with escapes otherwise. */
final class Names {
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_.:/-]+");

  private Names() {}

  static String value(String name) {
    return "%" + quoteIfNeeded(name);
  }

  static String quoteIfNeeded(String name) {
    if (PLAIN.matcher(name).matches()) {
      return name;
    }
    return quoteString(name);
  }

  /** Always quoted, with escapes. */
  static String quoteString(String name) {
    StringBuilder sb = new StringBuilder("\"");
    name.codePoints().forEach(c -> {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\u%04x", c));
          } else {
            sb.appendCodePoint(c);
          }
        }
      }
    });
    return sb.append('"').toString();
  }
}
