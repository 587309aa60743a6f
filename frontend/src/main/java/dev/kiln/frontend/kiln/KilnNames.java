package dev.kiln.frontend.kiln;

import dev.kiln.ir.text.EditDistance;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How names and strings are spelled in Kiln text: which names may be written bare, how quoted
 * strings escape characters, and how escapes are read back. Printer and parser share these rules
 * so that every name, however hostile, survives a round trip.
 */
final class KilnNames {
  private KilnNames() {}

  /** Words that start a construct; printed quoted when used as names, so text stays obvious. */
  static final Set<String> KEYWORDS =
      Set.of("kiln", "model", "weights", "const", "nan", "inf", "true", "false", "_");

  private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  // Mirrors BARE_VALUE in Kiln.g4: segments of [A-Za-z0-9_./-] joined by runs of ':'.
  private static final Pattern BARE_VALUE =
      Pattern.compile("[A-Za-z0-9_./\\-]+(:+[A-Za-z0-9_./\\-]+)*");

  /** A model, node, operator, attribute or dimension name: bare when it is an identifier. */
  static String name(String name) {
    return isBareIdent(name) ? name : quote(name);
  }

  static boolean isBareIdent(String name) {
    return IDENT.matcher(name).matches() && !KEYWORDS.contains(name);
  }

  /**
   * A value name with its {@code %}. Names that would read as (or next to) a comment are
   * quoted: {@code %a//b} lexes as one name, but a reader would take it for a comment.
   */
  static String value(String name) {
    boolean bare = BARE_VALUE.matcher(name).matches() && !name.contains("//") && !name.contains("/*");
    return "%" + (bare ? name : quote(name));
  }

  /** A double-quoted string literal; control characters and lone surrogates are escaped. */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        default -> {
          boolean pairedSurrogate =
              Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                  || Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
          boolean plain =
              c >= 0x20 && c != 0x7f && c != '\u2028' && c != '\u2029'
                  && (!Character.isSurrogate(c) || pairedSurrogate);
          if (plain) {
            sb.append(c);
          } else {
            sb.append(String.format("\\u%04x", (int) c));
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  /** The result of reading a string literal: its value, or what is wrong and where. */
  record Unquoted(String value, Optional<String> error, int errorOffset) {}

  /**
   * Reads a string literal token's text (with its quotes). On a bad escape, {@code error} says
   * which and {@code errorOffset} is its offset in the token text.
   */
  static Unquoted unquote(String literal) {
    StringBuilder sb = new StringBuilder(literal.length());
    int end = literal.length() - 1;
    for (int i = 1; i < end; i++) {
      char c = literal.charAt(i);
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = literal.charAt(i + 1);
      switch (e) {
        case '"' -> sb.append('"');
        case '\\' -> sb.append('\\');
        case 'n' -> sb.append('\n');
        case 't' -> sb.append('\t');
        case 'r' -> sb.append('\r');
        case 'u' -> {
          String hex = literal.substring(i + 2, Math.min(i + 6, end));
          if (hex.length() < 4 || !hex.chars().allMatch(h -> Character.digit(h, 16) >= 0)) {
            return new Unquoted(
                "", Optional.of("escape \\u needs 4 hex digits, as in \\u00e9"), i);
          }
          sb.append((char) Integer.parseInt(hex, 16));
          i += 4;
        }
        default -> {
          return new Unquoted(
              "",
              Optional.of("unknown escape \\" + new String(Character.toChars(literal.codePointAt(i + 1)))
                  + " (known: \\\" \\\\ \\n \\t \\r \\uXXXX)"),
              i);
        }
      }
      i++;
    }
    return new Unquoted(sb.toString(), Optional.empty(), 0);
  }

  /**
   * The candidate closest to {@code wrong}, if it is close enough to be a likely typo: within
   * a third of its length or {@code minDistance} edits, whichever is more.
   */
  static Optional<String> closest(String wrong, Iterable<String> candidates, int minDistance) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = EditDistance.between(wrong.toLowerCase(), c.toLowerCase());
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    // A candidate that shares nothing with a short name is no hint (%q is not a typo of %x).
    return best != null
            && bestDistance <= Math.max(minDistance, wrong.length() / 3)
            && bestDistance < wrong.length()
        ? Optional.of(best)
        : Optional.empty();
  }

  /** {@code " (did you mean 'x'?)"} or nothing. */
  static String didYouMean(String wrong, Iterable<String> candidates, int minDistance) {
    return closest(wrong, candidates, minDistance).map(s -> " (did you mean '" + s + "'?)").orElse("");
  }
}
