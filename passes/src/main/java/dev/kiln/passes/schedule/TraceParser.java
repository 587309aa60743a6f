package dev.kiln.passes.schedule;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Parses one line of trace text (see {@link TraceStep#text()}). */
final class TraceParser {
  private final String line;
  private final int lineNumber;
  private int pos;

  private TraceParser(String line, int lineNumber) {
    this.line = line;
    this.lineNumber = lineNumber;
  }

  static Optional<TraceStep> parseLine(String line, int lineNumber) {
    String content = line.strip();
    if (content.isEmpty() || content.startsWith("#")) {
      return Optional.empty();
    }
    return Optional.of(new TraceParser(line, lineNumber).step());
  }

  private TraceStep step() {
    skipSpaces();
    int start = pos;
    String primitive = bareWord();
    expect('(');
    List<String> args = new ArrayList<>();
    skipSpaces();
    if (peek() != ')') {
      args.add(name());
      while (accept(',')) {
        args.add(name());
      }
    }
    expect(')');
    List<String> made = new ArrayList<>();
    skipSpaces();
    if (line.startsWith("->", pos)) {
      pos += 2;
      made.add(name());
      while (accept(',')) {
        made.add(name());
      }
    }
    skipSpaces();
    if (pos < line.length()) {
      throw error("unexpected '" + line.substring(pos) + "'");
    }
    return switch (primitive) {
      case "split" -> {
        shape(start, primitive, args, 2, made, 2);
        yield new TraceStep.Split(args.get(0), number(args.get(1)), made.get(0), made.get(1));
      }
      case "tile" -> {
        shape(start, primitive, args, 4, made, 4);
        yield new TraceStep.Tile(args.get(0), args.get(1), number(args.get(2)), number(args.get(3)),
            made.get(0), made.get(1), made.get(2), made.get(3));
      }
      case "reorder" -> {
        shape(start, primitive, args, args.size(), made, 0);
        yield new TraceStep.Reorder(ImmutableList.copyOf(args));
      }
      case "fuse" -> {
        shape(start, primitive, args, 2, made, 1);
        yield new TraceStep.Fuse(args.get(0), args.get(1), made.get(0));
      }
      case "vectorize" -> {
        shape(start, primitive, args, 1, made, 0);
        yield new TraceStep.Vectorize(args.get(0));
      }
      case "parallelize" -> {
        shape(start, primitive, args, 1, made, 0);
        yield new TraceStep.Parallelize(args.get(0));
      }
      case "unroll" -> {
        shape(start, primitive, args, 1, made, 0);
        yield new TraceStep.Unroll(args.get(0));
      }
      case "accumulate_in_place" -> {
        shape(start, primitive, args, 1, made, 0);
        yield new TraceStep.AccumulateInPlace(args.get(0));
      }
      case "fission" -> {
        if (args.size() != 1 || made.size() < 2) {
          pos = start;
          throw error("fission takes 1 argument and makes at least 2 loops, got " + args.size()
              + " and " + made.size());
        }
        yield new TraceStep.Fission(args.get(0), ImmutableList.copyOf(made));
      }
      case "compute_at" -> {
        shape(start, primitive, args, 2, made, 0);
        yield new TraceStep.ComputeAt(args.get(0), args.get(1));
      }
      default -> {
        pos = start;
        throw error("unknown primitive '" + primitive + "' (expected split, tile, reorder, fuse, "
            + "vectorize, parallelize, unroll, accumulate_in_place, fission or compute_at)");
      }
    };
  }

  private void shape(int start, String primitive, List<String> args, int arity, List<String> made,
      int madeCount) {
    if (args.size() != arity || made.size() != madeCount) {
      pos = start;
      throw error(primitive + " takes " + arity + " arguments and makes " + madeCount
          + " loops, got " + args.size() + " and " + made.size());
    }
  }

  private long number(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw error("expected an integer factor, got '" + text + "'");
    }
  }

  private String bareWord() {
    int start = pos;
    while (pos < line.length() && (Character.isLetterOrDigit(line.charAt(pos)) || line.charAt(pos) == '_')) {
      pos++;
    }
    if (start == pos) {
      throw error("expected a primitive name");
    }
    return line.substring(start, pos);
  }

  private String name() {
    skipSpaces();
    if (peek() == '"') {
      StringBuilder sb = new StringBuilder();
      pos++;
      while (pos < line.length() && line.charAt(pos) != '"') {
        char c = line.charAt(pos++);
        if (c == '\\' && pos < line.length()) {
          char e = line.charAt(pos++);
          sb.append(switch (e) {
            case 'n' -> '\n';
            case 't' -> '\t';
            default -> e;
          });
        } else {
          sb.append(c);
        }
      }
      if (pos >= line.length()) {
        throw error("unterminated quoted name");
      }
      pos++;
      return sb.toString();
    }
    int start = pos;
    while (pos < line.length() && (Character.isLetterOrDigit(line.charAt(pos))
        || line.charAt(pos) == '_' || line.charAt(pos) == '.' || line.charAt(pos) == '-')) {
      if (line.startsWith("->", pos)) {
        break;
      }
      pos++;
    }
    if (start == pos) {
      throw error("expected a loop name or number");
    }
    return line.substring(start, pos);
  }

  private boolean accept(char c) {
    skipSpaces();
    if (peek() == c) {
      pos++;
      return true;
    }
    return false;
  }

  private void expect(char c) {
    if (!accept(c)) {
      throw error("expected '" + c + "'");
    }
  }

  private char peek() {
    return pos < line.length() ? line.charAt(pos) : '\0';
  }

  private void skipSpaces() {
    while (pos < line.length() && Character.isWhitespace(line.charAt(pos))) {
      pos++;
    }
  }

  private ScheduleException error(String message) {
    return new ScheduleException(ScheduleError.TRACE_SYNTAX,
        "trace line " + lineNumber + ":" + (pos + 1) + ": " + message);
  }
}
