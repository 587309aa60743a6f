package dev.kiln.bench;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * What one optimization level makes of a model: the graph nodes left after its graph passes (what
 * is lowered), the loop-IR kernels its whole preset produces, and Kiln's latency; or why not.
 *
 * @param level the optimization level (the preset {@code O<level>})
 * @param graphNodes nodes of the graph handed to {@code lower-graph-to-loops}
 * @param kernels kernels of the loop program after the whole preset
 * @param latency Kiln's timed runs at this level
 * @param failure why a figure is missing (the first failure), else empty
 */
record LevelFigures(int level, OptionalInt graphNodes, OptionalInt kernels, Optional<LatencyStats> latency,
    Optional<String> failure) {

  static LevelFigures failed(int level, String why) {
    return new LevelFigures(level, OptionalInt.empty(), OptionalInt.empty(), Optional.empty(),
        Optional.of(why));
  }
}
