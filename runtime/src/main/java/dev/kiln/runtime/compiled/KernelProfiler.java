package dev.kiln.runtime.compiled;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Opt-in wall-clock (or CPU, {@link #clock}) time per kernel of every compiled program run while it is on ({@code kiln
 * bench --profile}). Off, it costs each kernel one field read ({@link Frame#enterKernel}); on, two
 * {@code System.nanoTime()} calls per kernel and a merge per run. Process-wide: it is a tool for
 * benchmarks, not for production runs.
 */
public final class KernelProfiler {
  /** One kernel's share: where it comes from, its total time and how many runs it was in. */
  public record KernelTime(String program, int index, String source, long nanos, long runs) {
    /** Milliseconds per run. */
    public double millisPerRun() {
      return runs == 0 ? 0 : nanos / 1e6 / runs;
    }
  }

  /**
   * What became of the parallel loops run while the profiler was on ({@link ParallelExecutor}):
   * split across threads (and of those, how many a worker took part in), or run on the caller
   * alone because their measured work was too small to pay for the hand-off, or because the
   * executor was busy (a nested loop, or a concurrent run). Of the split loops, also: how long
   * after a loop was published a worker started its first chunk (summed over the loops a worker
   * helped in), how long the caller waited at the loops' ends for a worker's chunk, and how many
   * chunks the caller ran beyond its first because no worker had started them; and how long the
   * loops too small to split took (the serial part of the kernels' loops).
   */
  public record LoopCounts(long split, long helped, long tooSmall, long nested, long workerLateNanos,
      long joinWaitNanos, long callerExtraChunks, long tooSmallNanos) {
    public LoopCounts(long split, long helped, long tooSmall, long nested) {
      this(split, helped, tooSmall, nested, 0, 0, 0, 0);
    }

    public long total() {
      return split + tooSmall + nested;
    }
  }

  private static volatile boolean on;
  private static final LongAdder SPLIT = new LongAdder();
  private static final LongAdder HELPED = new LongAdder();
  private static final LongAdder TOO_SMALL = new LongAdder();
  private static final LongAdder NESTED = new LongAdder();
  private static final LongAdder WORKER_LATE = new LongAdder();
  private static final LongAdder JOIN_WAIT = new LongAdder();
  private static final LongAdder CALLER_EXTRA = new LongAdder();
  private static final LongAdder TOO_SMALL_NANOS = new LongAdder();
  /** The last {@link #RECENT} split loops' chunk spans, oldest first (see {@link #loopSpans}). */
  private static final java.util.ArrayDeque<long[]> RECENT_SPANS = new java.util.ArrayDeque<>();
  private static final int RECENT = 8;
  /**
   * Sums over the split loops of: the caller's first start and last end, and (of the loops a
   * worker ran a chunk of) the workers' first start and last end, in ns from publication; the
   * loops a worker ran a chunk of; the caller's and the workers' time in chunks, wall clock and
   * CPU.
   */
  private static final long[] SPAN_SUMS = new long[9];
  private static final Map<ExecutableProgram, long[]> TOTALS = new ConcurrentHashMap<>();
  private static final Map<ExecutableProgram, long[]> RUNS = new ConcurrentHashMap<>();

  private KernelProfiler() {}

  /** Forgets what was recorded and starts recording. */
  public static void start() {
    TOTALS.clear();
    RUNS.clear();
    for (LongAdder a : new LongAdder[] {SPLIT, HELPED, TOO_SMALL, NESTED, WORKER_LATE, JOIN_WAIT, CALLER_EXTRA, TOO_SMALL_NANOS}) {
      a.reset();
    }
    synchronized (SPAN_SUMS) {
      RECENT_SPANS.clear();
      java.util.Arrays.fill(SPAN_SUMS, 0);
    }
    on = true;
  }

  /** Stops recording; returns every kernel recorded, the longest first. */
  public static List<KernelTime> stop() {
    on = false;
    List<KernelTime> out = new ArrayList<>();
    TOTALS.forEach((program, nanos) -> {
      long runs;
      synchronized (nanos) {
        runs = RUNS.get(program)[0];
        for (int k = 0; k < nanos.length; k++) {
          out.add(new KernelTime(program.name(), k, program.kernelSource(k), nanos[k], runs));
        }
      }
    });
    out.sort(Comparator.comparingLong(KernelTime::nanos).reversed());
    return out;
  }

  /**
   * {@code -Dkiln.profile.cpuTime=true}: kernels are timed by the calling thread's CPU time
   * instead of the wall clock, so that on a machine busier than its cores a kernel is not charged
   * for the time its thread was descheduled (at 1 thread that is a kernel's whole work; at more,
   * the caller's share only).
   */
  private static final boolean CPU_TIME = Boolean.getBoolean("kiln.profile.cpuTime");

  /** What kernels are timed by: "wall clock" or "caller's CPU time". */
  public static String clock() {
    return CPU_TIME ? "caller's CPU time" : "wall clock";
  }

  /** The profiler's clock, in nanoseconds. */
  static long now() {
    return CPU_TIME
        ? java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime()
        : System.nanoTime();
  }

  static boolean on() {
    return on;
  }

  /** The calling thread's CPU time, ns (profiling only: about a microsecond per call). */
  static long threadCpuNanos() {
    return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  /** The parallel loops counted since {@link #start} (while on). */
  public static LoopCounts loopCounts() {
    return new LoopCounts(SPLIT.sum(), HELPED.sum(), TOO_SMALL.sum(), NESTED.sum(), WORKER_LATE.sum(),
        JOIN_WAIT.sum(), CALLER_EXTRA.sum(), TOO_SMALL_NANOS.sum());
  }

  static void loopSplit(boolean helped, long workerLateNanos, long joinWaitNanos, int callerExtraChunks) {
    SPLIT.increment();
    if (helped) {
      HELPED.increment();
      WORKER_LATE.add(workerLateNanos);
    }
    JOIN_WAIT.add(joinWaitNanos);
    CALLER_EXTRA.add(callerExtraChunks);
  }

  /**
   * Where the threads' time went in the split loops, per loop on average (ns from the loop's
   * publication): the caller's chunks from {@code callerStart} to {@code callerEnd}; in the loops
   * a worker ran a chunk of ({@code workerLoops}), the workers' from {@code workerStart} to
   * {@code workerEnd}; time in chunks, caller and workers, summed over all loops, by the wall clock
   * and by the threads' CPU time (less than the wall clock when a thread was descheduled in a
   * chunk; their sum against one thread's time says what the split cost in efficiency).
   * {@code recent}: the last few loops' chunks as {@code {start, end, 1 if a worker ran it, CPU
   * time}}.
   */
  public record SplitSpans(long loops, double callerStart, double callerEnd, long workerLoops, double workerStart,
      double workerEnd, long callerBusyNanos, long workerBusyNanos, long callerCpuNanos, long workerCpuNanos,
      List<long[]> recent) {}

  /** The split loops' spans since {@link #start}. */
  public static SplitSpans splitSpans() {
    synchronized (SPAN_SUMS) {
      long n = SPLIT.sum();
      double loops = Math.max(1, n);
      double w = Math.max(1, SPAN_SUMS[4]);
      return new SplitSpans(n, SPAN_SUMS[0] / loops, SPAN_SUMS[1] / loops, SPAN_SUMS[4], SPAN_SUMS[2] / w,
          SPAN_SUMS[3] / w, SPAN_SUMS[5], SPAN_SUMS[6], SPAN_SUMS[7], SPAN_SUMS[8], List.copyOf(RECENT_SPANS));
    }
  }

  /**
   * One split loop's chunks: {@code {start, end, 1 if a worker ran it, CPU time}} per chunk, ns
   * (start and end from publication).
   */
  static void loopSpans(long[] spans) {
    long cs = Long.MAX_VALUE;
    long ce = 0;
    long ws = Long.MAX_VALUE;
    long we = 0;
    long cb = 0;
    long wb = 0;
    long cc = 0;
    long wc = 0;
    for (int c = 0; c + 3 < spans.length; c += 4) {
      if (spans[c + 2] == 0) {
        cs = Math.min(cs, spans[c]);
        ce = Math.max(ce, spans[c + 1]);
        cb += spans[c + 1] - spans[c];
        cc += spans[c + 3];
      } else {
        ws = Math.min(ws, spans[c]);
        we = Math.max(we, spans[c + 1]);
        wb += spans[c + 1] - spans[c];
        wc += spans[c + 3];
      }
    }
    synchronized (SPAN_SUMS) {
      SPAN_SUMS[0] += cs == Long.MAX_VALUE ? 0 : cs;
      SPAN_SUMS[1] += ce;
      if (ws != Long.MAX_VALUE) {
        SPAN_SUMS[2] += ws;
        SPAN_SUMS[3] += we;
        SPAN_SUMS[4]++;
      }
      SPAN_SUMS[5] += cb;
      SPAN_SUMS[6] += wb;
      SPAN_SUMS[7] += cc;
      SPAN_SUMS[8] += wc;
      if (RECENT_SPANS.size() == RECENT) {
        RECENT_SPANS.removeFirst();
      }
      RECENT_SPANS.addLast(spans);
    }
  }

  static void loopOnCaller(boolean tooSmall, long nanos) {
    (tooSmall ? TOO_SMALL : NESTED).increment();
    if (tooSmall) {
      TOO_SMALL_NANOS.add(nanos);
    }
  }

  /** Adds one run's kernel times of {@code program}. */
  static void record(ExecutableProgram program, long[] kernelNanos) {
    long[] totals = TOTALS.computeIfAbsent(program, p -> new long[kernelNanos.length]);
    long[] runs = RUNS.computeIfAbsent(program, p -> new long[1]);
    synchronized (totals) {
      for (int k = 0; k < Math.min(totals.length, kernelNanos.length); k++) {
        totals[k] += kernelNanos[k];
      }
      runs[0]++;
    }
  }
}
