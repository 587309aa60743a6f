package dev.kiln.runtime.compiled;

/** The iterations {@code [start, end)} of a parallel loop; generated code passes a lambda. */
@FunctionalInterface
public interface RangeTask {
  void run(int start, int end);
}
