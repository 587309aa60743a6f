package dev.kiln.runtime.compiled;

import dev.kiln.runtime.interpreter.RunException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The caller's memory a run writes its outputs into ({@code Model.runInto}), checked the same way
 * by every engine: one destination per output by name, none for a name that is no output, each
 * exactly its output's size, writable, and apart from the others (two outputs written into the
 * same bytes would leave one of them wrong without a word).
 */
public final class OutputDestinations {
  private OutputDestinations() {}

  /**
   * The destinations in the order of {@code names} (the model's outputs).
   *
   * @throws RunException naming every output without a destination and every name that is none
   */
  public static List<MemorySegment> inOrder(Map<String, MemorySegment> into, List<String> names) {
    List<String> problems = new ArrayList<>();
    TreeSet<String> unknown = new TreeSet<>(into.keySet());
    names.forEach(unknown::remove);
    String all = names.stream().map(n -> "%" + n).collect(Collectors.joining(", "));
    for (String name : unknown) {
      problems.add("no output %" + name + "; the model's outputs are " + all);
    }
    List<MemorySegment> out = new ArrayList<>();
    for (String name : names) {
      MemorySegment d = into.get(name);
      if (d == null) {
        problems.add("no destination for output %" + name);
      }
      out.add(d);
    }
    if (!problems.isEmpty()) {
      throw new RunException(problems);
    }
    return out;
  }

  /**
   * Checks each destination against its output.
   *
   * @param types each output's type as messages show it, e.g. {@code f32[1, 10]}
   * @param bytes each output's size in bytes
   * @throws RunException with every problem: a size that differs, a read-only segment, overlaps
   */
  public static void check(List<MemorySegment> into, List<String> names, List<String> types, List<Long> bytes) {
    List<String> problems = new ArrayList<>();
    for (int j = 0; j < names.size(); j++) {
      MemorySegment d = into.get(j);
      if (d.byteSize() != bytes.get(j)) {
        problems.add("output %" + names.get(j) + " is " + types.get(j) + ", " + bytes.get(j)
            + " bytes; its destination has " + d.byteSize() + " bytes");
      }
      if (d.isReadOnly()) {
        problems.add("output %" + names.get(j) + ": its destination is read-only");
      }
      for (int e = 0; e < j; e++) {
        if (d.byteSize() > 0 && into.get(e).asOverlappingSlice(d).isPresent()) {
          problems.add("outputs %" + names.get(e) + " and %" + names.get(j) + ": their destinations overlap");
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new RunException(problems);
    }
  }
}
