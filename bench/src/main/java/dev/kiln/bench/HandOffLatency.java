package dev.kiln.bench;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kiln.runtime.compiled.ParallelExecutor;
import java.util.Arrays;
import java.util.Locale;

/**
 * How late the second thread starts its share of a split loop on this machine, through Kiln's own
 * {@link ParallelExecutor}: the floor under every 2-thread figure (docs/performance.md, "ResNet-18
 * on 2 threads, session 8").
 *
 * <p>One model run of LOOPS parallel loops of two chunks, each chunk WORK µs of busy work, with GAP
 * µs of serial work on the caller between loops (a kernel's serial part; past the executor's
 * in-run spin the worker parks). For each loop: when the worker began the second chunk, in µs
 * after the loop was published, or that it never did (the caller, done with its own chunk, ran it
 * too). A tenth of the loops first, as warm-up, are not counted.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp "bench/target/kiln-bench.jar:bench/target/lib/*" \
 *   dev.kiln.bench.HandOffLatency [LOOPS [WORK_US [GAP_US]]]     (defaults 20000 450 20)
 * </pre>
 */
public final class HandOffLatency {
  private HandOffLatency() {}

  /**
   * The loops measured: {@code startNanos[i]} is when a worker began loop i's second chunk, in ns
   * after the loop was published, or -1 when the caller ran it.
   */
  public record Result(long workNanos, long gapNanos, long[] startNanos) {
    /** Loops whose second chunk the caller ran (no worker had started it). */
    public int missed() {
      return (int) Arrays.stream(startNanos).filter(s -> s < 0).count();
    }

    /** One line: the start percentiles over the loops a worker helped in, and the misses. */
    public String summary() {
      long[] started = Arrays.stream(startNanos).filter(s -> s >= 0).sorted().toArray();
      String starts = started.length == 0 ? "the worker started none"
          : String.format(Locale.ROOT, "the worker started its chunk p10 %.1f, p50 %.1f, p90 %.1f, p99 %.1f, max %.1f µs"
              + " after publication", pct(started, 10), pct(started, 50), pct(started, 90), pct(started, 99),
              started[started.length - 1] / 1e3);
      return String.format(Locale.ROOT, "%d loops of 2 x %d µs, %d µs serial between loops: %s; in %d loops (%.1f %%)"
              + " the caller ran both chunks", startNanos.length, workNanos / 1000, gapNanos / 1000, starts, missed(),
          100.0 * missed() / startNanos.length);
    }

    private static double pct(long[] sorted, double p) {
      return LatencyStats.percentile(sorted, p) / 1e3;
    }
  }

  /** Runs {@code warmup + loops} loops on {@code executor} as one model run and keeps the last {@code loops}. */
  public static Result measure(ParallelExecutor executor, int warmup, int loops, long workNanos, long gapNanos) {
    checkArgument(loops > 0 && warmup >= 0, "loops must be positive and warm-up non-negative, got %s and %s",
        loops, warmup);
    checkArgument(workNanos > 0 && gapNanos >= 0, "work must be positive and the gap non-negative, got %s and %s",
        workNanos, gapNanos);
    long[] start = new long[loops];
    Thread caller = Thread.currentThread();
    executor.beginRun();
    try {
      for (int i = -warmup; i < loops; i++) {
        long[] workerStart = {-1};
        long published = System.nanoTime();
        executor.forRange(2, (lo, hi) -> {
          for (int c = lo; c < hi; c++) {
            if (c == 1 && Thread.currentThread() != caller) {
              workerStart[0] = System.nanoTime() - published;
            }
            busy(workNanos);
          }
        });
        if (i >= 0) {
          start[i] = workerStart[0];
        }
        busy(gapNanos);
      }
    } finally {
      executor.endRun();
    }
    return new Result(workNanos, gapNanos, start);
  }

  private static void busy(long nanos) {
    long end = System.nanoTime() + nanos;
    while (System.nanoTime() < end) {
      Thread.onSpinWait();
    }
  }

  public static void main(String[] args) {
    try {
      int loops = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
      long work = (args.length > 1 ? Long.parseLong(args[1]) : 450) * 1000;
      long gap = (args.length > 2 ? Long.parseLong(args[2]) : 20) * 1000;
      try (ParallelExecutor executor = ParallelExecutor.withThreads(2)) {
        System.out.println(measure(executor, loops / 10, loops, work, gap).summary());
      }
    } catch (IllegalArgumentException e) {
      // NumberFormatException included: a bad argument, not a crash.
      System.err.println("HandOffLatency: " + e.getMessage() + " (arguments: [LOOPS [WORK_US [GAP_US]]])");
      System.exit(2);
    }
  }
}
