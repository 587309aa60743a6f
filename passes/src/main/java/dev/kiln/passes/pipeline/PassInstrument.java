package dev.kiln.passes.pipeline;

/**
 * Watches a pipeline run: the pass manager calls it around every pass (print the IR, time the
 * passes). Instruments observe; they never change the IR.
 */
public interface PassInstrument {
  /** Before the first pass, with the pipeline's input. */
  default void beforePipeline(Pipeline pipeline, Ir input) {}

  /**
   * After pass {@code step} turned {@code before} into {@code after} in {@code nanos}.
   * {@code after == before} when it changed nothing.
   */
  default void afterPass(Pipeline.PassStep step, Ir before, Ir after, long nanos) {}

  /** After the verifier checked the output of {@code step} (verify-each), in {@code nanos}. */
  default void afterVerify(Pipeline.PassStep step, long nanos) {}

  /** After the last pass (not called when a pass failed). */
  default void afterPipeline(Ir output) {}
}
