package dev.kiln.codegen.emit;

import java.nio.charset.StandardCharsets;

/**
 * Makes model-provided text (buffer, kernel and node names) safe inside a generated comment.
 * javac translates unicode escapes (backslash, u, four hex digits) before it even sees
 * comments, so a name holding the escape of a line break, or a star-slash, could end the
 * comment and inject code. Only a small set of
 * harmless ASCII characters stays as is; every other byte of the UTF-8 encoding, backslash,
 * star and slash included, becomes {@code %XX}.
 */
final class CommentText {
  private CommentText() {}

  static String escape(String text) {
    StringBuilder sb = new StringBuilder();
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || " _-.,:;'()[]=<>#!?+".indexOf(c) >= 0;
      if (plain) {
        sb.append((char) c);
      } else {
        sb.append('%').append(String.format("%02X", c));
      }
    }
    return sb.toString();
  }
}
