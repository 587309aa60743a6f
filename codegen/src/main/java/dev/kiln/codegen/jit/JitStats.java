package dev.kiln.codegen.jit;

import java.util.Locale;

/**
 * A snapshot of a {@link JitCompiler}'s counters, for reporting compile times.
 *
 * @param compiles units compiled with javac
 * @param memoryHits units found in the in-memory cache (including calls that waited for another
 *     thread compiling the same key)
 * @param diskHits units read from the disk cache
 * @param failures compile calls that ended in a {@link CodegenException}
 * @param firstCompileNanos the first compile of this compiler: a cold javac when it is the first
 *     compile in the JVM; 0 before any
 * @param totalCompileNanos all compiles, javac and class definition
 * @param totalHitNanos all cache hits, reading and class definition
 */
public record JitStats(
    long compiles, long memoryHits, long diskHits, long failures,
    long firstCompileNanos, long totalCompileNanos, long totalHitNanos) {

  /** Mean of the compiles after the first (warm javac); 0 when there were fewer than two. */
  public long meanWarmCompileNanos() {
    return compiles < 2 ? 0 : (totalCompileNanos - firstCompileNanos) / (compiles - 1);
  }

  public long hits() {
    return memoryHits + diskHits;
  }

  /** One line, e.g. {@code jit: 3 compiled (first 812.4 ms, warm mean 35.2 ms), 5 hits (...)}. */
  @Override
  public String toString() {
    return String.format(Locale.ROOT,
        "jit: %d compiled (first %.1f ms, warm mean %.1f ms), %d hits (%d memory, %d disk; %.1f ms in all), %d failed",
        compiles, firstCompileNanos / 1e6, meanWarmCompileNanos() / 1e6,
        hits(), memoryHits, diskHits, totalHitNanos / 1e6, failures);
  }
}
