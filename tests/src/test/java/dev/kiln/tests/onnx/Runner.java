package dev.kiln.tests.onnx;

import dev.kiln.api.ModelOptions;
import java.util.Optional;

/**
 * The ways the conformance suite runs every case: the reference interpreter (the oracle), and the
 * compiled engine at the default level ({@code -O3}: graph fusion, the NCHWc layout, the loop
 * fusions) and at {@code -O1} (the loops as lowered, scheduled), so that a bug of a graph or
 * fusion pass shows as a difference between the two compiled columns.
 */
enum Runner {
  INTERPRETER("interpreter", Optional.empty()),
  COMPILED_O3("compiled -O3", Optional.of(3)),
  COMPILED_O1("compiled -O1", Optional.of(1));

  /** How reports and docs/onnx-support.md name it. */
  final String label;
  private final Optional<Integer> level;

  Runner(String label, Optional<Integer> level) {
    this.label = label;
    this.level = level;
  }

  boolean compiled() {
    return level.isPresent();
  }

  /** The options of a compiled runner: one thread per model, as the cases run in parallel. */
  ModelOptions options() {
    return new ModelOptions(ModelOptions.Engine.COMPILED).withThreads(1)
        .withOptimizationLevel(level.orElseThrow());
  }
}
