package dev.kiln.passes.schedule;

/**
 * Knobs of the {@link DefaultScheduler}, handed to it explicitly (never read from the machine or
 * from globals, so a schedule depends only on its kernel and these values).
 *
 * @param vectorLanes f32 elements per SIMD vector (the Vector API's preferred float species
 *     length, chosen by the caller); 1 disables vectorization
 * @param tileRows rows of an output tile of a matmul-like kernel
 * @param tileCols columns of an output tile of a matmul-like kernel
 * @param parallel whether to run outer loops on the thread pool
 * @param maxUnrollExtent reduction loops of at most this extent (a 3x3 window) are unrolled
 */
public record ScheduleOptions(int vectorLanes, long tileRows, long tileCols, boolean parallel,
    long maxUnrollExtent) {

  public ScheduleOptions {
    if (vectorLanes < 1 || tileRows < 1 || tileCols < 1 || maxUnrollExtent < 0
        || maxUnrollExtent > Schedule.MAX_UNROLL_EXTENT) {
      throw new IllegalArgumentException("schedule options out of range: " + vectorLanes + " lanes, tile "
          + tileRows + " x " + tileCols + ", unroll up to " + maxUnrollExtent
          + " (lanes and tiles must be at least 1, unrolling at most " + Schedule.MAX_UNROLL_EXTENT + ")");
    }
  }

  /** Tiles of 4 x (2 vectors), parallel, unrolling windows up to 4. */
  public static ScheduleOptions withLanes(int vectorLanes) {
    return new ScheduleOptions(vectorLanes, 4, 2L * vectorLanes, true, 4);
  }
}
