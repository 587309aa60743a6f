package dev.kiln.passes.schedule;

import com.google.common.collect.ImmutableList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One recorded primitive call of a {@link Schedule}: its arguments and the names of the loops it
 * made. Prints as one line, e.g. {@code split(i, 8) -> i.o, i.i}; {@link Trace#parse} reads it back.
 */
public sealed interface TraceStep {

  /** The line of trace text. */
  String text();

  record Split(String loop, long factor, String outer, String inner) implements TraceStep {
    @Override
    public String text() {
      return "split(" + name(loop) + ", " + factor + ") -> " + name(outer) + ", " + name(inner);
    }
  }

  record Tile(String loopA, String loopB, long factorA, long factorB,
      String outerA, String outerB, String innerA, String innerB) implements TraceStep {
    @Override
    public String text() {
      return "tile(" + name(loopA) + ", " + name(loopB) + ", " + factorA + ", " + factorB + ") -> "
          + names(List.of(outerA, outerB, innerA, innerB));
    }
  }

  record Reorder(ImmutableList<String> loops) implements TraceStep {
    public Reorder {
      loops = ImmutableList.copyOf(loops);
    }

    @Override
    public String text() {
      return "reorder(" + names(loops) + ")";
    }
  }

  record Fuse(String outer, String inner, String fused) implements TraceStep {
    @Override
    public String text() {
      return "fuse(" + name(outer) + ", " + name(inner) + ") -> " + name(fused);
    }
  }

  record Vectorize(String loop) implements TraceStep {
    @Override
    public String text() {
      return "vectorize(" + name(loop) + ")";
    }
  }

  record Parallelize(String loop) implements TraceStep {
    @Override
    public String text() {
      return "parallelize(" + name(loop) + ")";
    }
  }

  record Unroll(String loop) implements TraceStep {
    @Override
    public String text() {
      return "unroll(" + name(loop) + ")";
    }
  }

  record AccumulateInPlace(String loop) implements TraceStep {
    @Override
    public String text() {
      return "accumulate_in_place(" + name(loop) + ")";
    }
  }

  /** {@code loops}: the distributed loops, the original first. */
  record Fission(String loop, ImmutableList<String> loops) implements TraceStep {
    public Fission {
      loops = ImmutableList.copyOf(loops);
    }

    @Override
    public String text() {
      return "fission(" + name(loop) + ") -> " + names(loops);
    }
  }

  /** {@code producer} is the producer kernel's name; replay looks it up by that name. */
  record ComputeAt(String producer, String loop) implements TraceStep {
    @Override
    public String text() {
      return "compute_at(" + name(producer) + ", " + name(loop) + ")";
    }
  }

  /** Names print bare when made of letters, digits, '_' and '.', else quoted with escapes. */
  Pattern PLAIN = Pattern.compile("[A-Za-z0-9_.]+");

  static String name(String name) {
    if (PLAIN.matcher(name).matches()) {
      return name;
    }
    StringBuilder sb = new StringBuilder("\"");
    for (char c : name.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        default -> sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  static String names(List<String> names) {
    return names.stream().map(TraceStep::name).collect(Collectors.joining(", "));
  }
}
