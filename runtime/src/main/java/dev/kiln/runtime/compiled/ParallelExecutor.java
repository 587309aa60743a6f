package dev.kiln.runtime.compiled;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs the iterations of parallel loops on a fixed set of threads: the range is split into one
 * chunk per thread (fewer when there are fewer iterations); the calling thread runs the first
 * chunk and {@code threads - 1} workers of this executor take the others, and the caller runs
 * those that no worker has taken by the time it is done with its own.
 *
 * <p>Why not a fork/join pool: a model run is hundreds of short parallel loops (a convolution is
 * a dozen: padding, im2col, B packing and the GEMM blocks per K block), and waking a parked
 * worker costs tens of microseconds each time, often more than the loop's share of work; the
 * caller joining a fork/join task waited for that wake-up. Here the caller runs every chunk no
 * worker has started by the time its own is done, so a loop never waits for a worker to wake.
 *
 * <p>Three things keep the hand-offs cheap (docs/compiler.md, "runtime"):
 * <ul>
 *   <li><b>Small loops stay on the caller.</b> Each loop's work is measured as it runs, per call
 *       site and extent ({@link LoopSizes}); a loop whose last measured work is below
 *       {@link #MIN_PARALLEL_NANOS} (parked workers) or {@link #MIN_PARALLEL_HOT_NANOS} (hot
 *       ones) runs on the caller alone (a zero-border fill of a few microseconds split in two
 *       cost more in the hand-off than it saved).
 *   <li><b>Workers stay hot during a run, and briefly after it.</b> A run brackets its kernels
 *       with {@link #beginRun()} / {@link #endRun()}: the first wakes parked workers (their
 *       wake-up overlaps the run's input copies), and while a run is on, a worker waits for the
 *       next loop spinning (then yielding) for up to {@link #RUN_SPIN_NANOS} before it parks;
 *       after the last run it stays hot for {@link #SPIN_NANOS} (a next run that follows at once
 *       finds it ready), then parks, so an idle model burns no core. A worker that spun and still
 *       came late (the machine busier than its cores) parks at once for a while.
 *   <li><b>The caller never waits for a worker that has not started.</b>
 * </ul>
 *
 * <p>A parallel loop reached while this executor is already running one (a nested loop, or a
 * second model run on another thread at the same time) runs on its calling thread, serially: it
 * never waits for a worker, so it cannot deadlock.
 *
 * <p>Thread-safe. {@link #close} stops the workers; {@link #serial()} has none.
 */
public final class ParallelExecutor implements AutoCloseable {
  /**
   * How long a worker stays hot after a model run ends ({@link #endRun}), in case the next run
   * follows at once: system property {@code kiln.workerSpinMicros}, default 100. A batch-1 MLP
   * run is ~30 µs and its runs come back to back in a serving loop; a worker parked between them
   * is woken by the next run's first loop tens of microseconds late, after the caller has done
   * most of the work alone. The bound is what an idle model costs: after its last run, one core
   * busy (then yielding) for at most this long per worker, then every worker parks.
   */
  static final long SPIN_NANOS = micros("kiln.workerSpinMicros", 100);
  /**
   * How long a worker waits hot for the next loop while a model run is on ({@link #beginRun}):
   * system property {@code kiln.runSpinMicros}, default 5000. A run's loops come back to back (a
   * GEMM's packing and blocks, an MLP's layers), and a worker parked between them costs each a
   * wake-up (5 µs on an idle core in the fork harness, more in a VM whose other vCPU has halted),
   * one that spins ~1 µs. A serial stretch longer than this parks the worker; the next loop wakes
   * it. On a machine busier than its cores, a worker that spins is scheduled late when its chunk
   * comes (one woken from sleep is scheduled at once): a worker that finds a loop while spinning
   * but more than {@link #LATE_NANOS} after it was published (it was off its core) stops
   * spinning for the next {@link #COLD_WAITS} waits.
   *
   * <p>5000 µs (200 until session 9): a worker that parks lets its vCPU halt, and waking a halted
   * vCPU of this VM took from 15 µs to the whole of the caller's chunk (a ResNet-18 run had 15 of
   * its 53 split loops with no worker under {@code --profile}; the transformer layer, traced, 6 of
   * 8 with 200 µs and 3 of 6 with 5000: docs/performance.md, "What the time lines say").
   * Alternating processes on 2 threads (session 9), Kiln / ONNX Runtime: the transformer layer,
   * medians of six pairs, 1.085 with 5000 against 1.21 with 200 (the last four pairs all better
   * with 5000); ResNet-18, ten pairs, 1.015 against 1.035 (its worker never waits 200 µs between
   * chunks, traced); MobileNetV2 even. The cost is bounded by the run: a spinning worker holds its
   * core only while a run is on (then {@link #SPIN_NANOS}), and one that comes late for a loop
   * (its core taken by other threads) stops spinning ({@link #LATE_NANOS}).
   */
  static final long RUN_SPIN_NANOS = micros("kiln.runSpinMicros", 5000);
  /**
   * ...busy for the first part of a wait, yielding the core for the rest: system property
   * {@code kiln.yieldAfterMicros}, default 20. 5000 (never yield within a run) was tried in
   * session 10 against the worker that misses whole runs of a 2-thread GEMM: the same share of
   * runs without the worker either way (22 and 22 of 41 against 27 and 5 of 41).
   */
  static final long YIELD_AFTER_NANOS = micros("kiln.yieldAfterMicros", 20);
  /**
   * Waits without spinning after a worker spun and still came late for a loop: system property
   * {@code kiln.coldWaits}, default 64 (0: never stop spinning for lateness).
   */
  static final int COLD_WAITS = Math.max(0, Integer.getInteger("kiln.coldWaits", 64));
  /**
   * A spinning worker that sees a loop this long after it was published was off its core: system
   * property {@code kiln.lateMicros}, default 200. A thread that a machine busier than its cores
   * took off its core comes back after a scheduler slice (milliseconds); this VM's ordinary
   * hiccups are 5 to 100 µs ({@code HandOffLatency}, bench module: p99 75 to 94 µs on a quiet
   * machine). With 5 (sessions 5 to 7) the rule tripped on those hiccups and kept the worker
   * parked most of the time: its start after publication p50 17 to 19 µs against 2.5 to 2.7 with
   * 200; 5 alternating pairs of processes on 2 threads (session 8) gave ResNet-18 1.17 against
   * 1.27x ONNX Runtime (median), the transformer layer 1.10 against 1.22, MobileNetV2 1.36 against
   * 1.45.
   */
  static final long LATE_NANOS = micros("kiln.lateMicros", 200);
  /**
   * How many of the last 8 loops a spinning worker found must have been late before it stops
   * spinning ({@link LateLoops}): system property {@code kiln.lateOf8}, default 3 (1 until
   * session 10: the first late loop). Alternating pairs on 2 threads (session 10,
   * docs/performance.md "The second thread's lottery"), Kiln / ONNX Runtime with 3 against 1:
   * the transformer layer 1.04 1.41 1.05 1.24 1.09 1.09 1.04 1.29 1.01 1.28 against 1.50 1.73 1.32
   * 1.11 0.97 1.10 1.02 1.28 1.00 1.28 (the gain in the first three, a slow phase of the machine);
   * ResNet-18 1.19 1.18 1.16 against 1.24 1.19 1.22; MobileNetV2 1.08 1.15 1.12 against 1.10 1.12
   * 1.35.
   */
  static final int LATE_OF_8 = Math.max(1, Math.min(8, Integer.getInteger("kiln.lateOf8", 3)));
  /**
   * How long the thread that split a loop waits for a worker's chunk busy: system property
   * {@code kiln.callerSpinMicros}, default 20; then yielding until {@code kiln.callerYieldMicros}
   * (default 200); then parked 50 µs at a time (for measuring: session 10 tried 2000 / 5000
   * and still saw 2-thread runs of 2 to 6 ms with every chunk done in the first 0.3).
   */
  static final long CALLER_SPIN_NANOS = micros("kiln.callerSpinMicros", 20);
  static final long CALLER_YIELD_NANOS = micros("kiln.callerYieldMicros", 200);
  /**
   * Whether a worker that finds itself on the processor of the thread that split the loop moves
   * itself off it ({@link Processors#leave}): system property {@code kiln.workerAffinity},
   * default false (an experiment). Session 10 traced 2-thread GEMMs whose worker sat queued on
   * the caller's processor for milliseconds while the other idled (docs/performance.md, "The
   * second thread's lottery"); with the move on, no traced run had the two on one processor
   * (2 to 5 moves per process, in the warm-up), but {@code kiln bench} medians were no better
   * (128 x 1024 x 256: Kiln / ORT 2.20, 1.96, 1.46 against 1.80, 1.72, 2.07 off; the
   * transformer layer 1.18, 1.35, 1.57 against 1.13, 1.18, 1.25): the other stalls remain.
   */
  static final boolean WORKER_AFFINITY = Boolean.getBoolean("kiln.workerAffinity");
  /**
   * The least work, measured, that a loop is split for: system property
   * {@code kiln.minParallelMicros}, default 20. A hand-off to a parked worker costs its wake-up
   * on the caller's side (the unpark) and the worker's, plus the caller's wait for the last chunk
   * and the cache misses of data produced on the other core; below a few tens of microseconds of
   * work that is more than the split saves.
   */
  static final long MIN_PARALLEL_NANOS = micros("kiln.minParallelMicros", 20);
  /**
   * The least work that a loop is split for when the workers it needs are hot (spinning, not
   * parked): system property {@code kiln.minParallelHotMicros}, default 6. The hand-off is then
   * a volatile write and a read on the other core (~1 µs each side in the fork harness), so the
   * MLP batch 1 GEMVs (512 x 512: ~12 µs on one core) pay for it.
   */
  static final long MIN_PARALLEL_HOT_NANOS = micros("kiln.minParallelHotMicros", 6);

  private static final ParallelExecutor SERIAL = new ParallelExecutor(1, MIN_PARALLEL_NANOS,
      MIN_PARALLEL_HOT_NANOS);

  private final int threads;
  private final long minParallelNanos;
  private final long minParallelHotNanos;
  private final Worker[] workers;
  /** Model runs in progress ({@link #beginRun}); while there are any, workers wait hot. */
  private final AtomicInteger activeRuns = new AtomicInteger();
  /** Counts {@link #beginRun} calls, so that a worker about to park sees a run that just began. */
  private final AtomicLong runsBegun = new AtomicLong();
  /** When the last run ended ({@link System#nanoTime}); workers stay hot {@link #SPIN_NANOS} after. */
  private volatile long lastRunEnd;
  /** Held by the thread whose loop the workers run. */
  private final AtomicBoolean busy = new AtomicBoolean();

  /**
   * The loop being run, null between loops: no reference to a finished loop's task is kept (it
   * would keep the generated class, and an artifact's class loader, reachable).
   */
  private volatile Loop current;
  /**
   * Numbers the split loops, so that workers tell them apart without holding on to them; written
   * by the thread holding {@link #busy} only.
   */
  private volatile long loops;
  private volatile boolean closed;
  /**
   * The processor of the thread that last began a run or split a loop, -1 unknown: a worker on
   * the same one moves off ({@link #WORKER_AFFINITY}).
   */
  private volatile int callerProcessor = -1;

  /** One parallel loop, published whole to the workers (a volatile write of {@link #current}). */
  private record Loop(long id, RangeTask task, int extent, int chunks, AtomicInteger next,
      AtomicInteger pending, AtomicReference<Throwable> failure, Thread caller,
      AtomicLong work, AtomicLong workerStart, long published, long[] spans) {
    /**
     * Runs chunks not yet taken by anyone; returns how many this thread ran, negated when it
     * finished the last one (so that a worker knows to wake the caller).
     */
    int runChunks(boolean worker) {
      boolean last = false;
      int ran = 0;
      for (int c; (c = next.getAndIncrement()) < chunks; ) {
        if (worker && ran == 0) {
          workerStart.compareAndSet(0, System.nanoTime());
        }
        runChunk(c, worker);
        ran++;
        last = pending.decrementAndGet() == 0;
      }
      return last ? -ran : ran;
    }

    /** Whether a worker ran any chunk of this loop. */
    boolean helped() {
      return workerStart.get() != 0;
    }

    void runChunk(int c, boolean worker) {
      long cpu = spans == null ? 0 : KernelProfiler.threadCpuNanos();
      long start = System.nanoTime();
      long traceCpu = ParallelTrace.ON ? ParallelTrace.cpu() : 0;
      try {
        task.run((int) ((long) extent * c / chunks), (int) ((long) extent * (c + 1) / chunks));
      } catch (RuntimeException | Error e) {
        failure.compareAndSet(null, e);
      }
      long end = System.nanoTime();
      work.addAndGet(end - start);
      if (ParallelTrace.ON) {
        ParallelTrace.record(ParallelTrace.Kind.CHUNK, id, c, start, traceCpu);
      }
      if (spans != null) {
        // Profiling: when each chunk ran, on which side, and the thread's CPU time in it (read by
        // the caller after the join).
        spans[4 * c] = start - published;
        spans[4 * c + 1] = end - published;
        spans[4 * c + 2] = worker ? 1 : 0;
        spans[4 * c + 3] = KernelProfiler.threadCpuNanos() - cpu;
      }
    }
  }

  private ParallelExecutor(int threads, long minParallelNanos, long minParallelHotNanos) {
    this.threads = threads;
    this.minParallelNanos = minParallelNanos;
    this.minParallelHotNanos = minParallelHotNanos;
    this.lastRunEnd = System.nanoTime() - SPIN_NANOS;
    this.workers = new Worker[threads - 1];
    for (int i = 0; i < workers.length; i++) {
      workers[i] = new Worker(i + 1);
      workers[i].start();
    }
  }

  /** An executor with {@code threads - 1} daemon worker threads (1: everything on the caller). */
  public static ParallelExecutor withThreads(int threads) {
    checkArgument(threads >= 1, "threads must be at least 1, got %s", threads);
    return threads == 1 ? SERIAL
        : new ParallelExecutor(threads, MIN_PARALLEL_NANOS, MIN_PARALLEL_HOT_NANOS);
  }

  /**
   * An executor that splits only loops whose measured work is at least {@code minParallelNanos},
   * hot workers or not (0: every loop of more than one iteration; {@link Long#MAX_VALUE}: only
   * loops not measured yet, i.e. the first of each call site and extent).
   */
  static ParallelExecutor withThreads(int threads, long minParallelNanos) {
    checkArgument(threads >= 1, "threads must be at least 1, got %s", threads);
    checkArgument(minParallelNanos >= 0, "minParallelNanos must be at least 0, got %s", minParallelNanos);
    return new ParallelExecutor(threads, minParallelNanos, minParallelNanos);
  }

  /** Runs every loop on the calling thread, in order. */
  public static ParallelExecutor serial() {
    return SERIAL;
  }

  public int threads() {
    return threads;
  }

  /**
   * A model run starts on this executor: wakes parked workers (so that their wake-up overlaps
   * the work before the first loop), and until the matching {@link #endRun} a worker waits for
   * the next loop spinning for up to {@link #RUN_SPIN_NANOS} before it parks. Runs may overlap
   * (concurrent model runs); each begin needs one end, in a {@code finally}.
   */
  public void beginRun() {
    beginRun(true);
  }

  /**
   * As {@link #beginRun()}; {@code wakeWorkers} false leaves parked workers parked (a program
   * whose last run split no loop, such as a batch-1 MLP whose GEMVs are all serial, would wake
   * them for nothing: an unpark and a wake-up on the other core per run).
   */
  public void beginRun(boolean wakeWorkers) {
    if (workers.length == 0) {
      return;
    }
    if (WORKER_AFFINITY) {
      callerProcessor = Processors.current();
    }
    activeRuns.incrementAndGet();
    runsBegun.incrementAndGet();
    if (!wakeWorkers) {
      return;
    }
    for (Worker w : workers) {
      if (w.parked) {
        LockSupport.unpark(w);
      }
    }
  }

  /** How many loops this executor has split so far (to tell whether a run split any). */
  public long loopsSplit() {
    return loops;
  }

  /**
   * The run begun by {@link #beginRun} is over: once it was the last one, workers stay hot for
   * {@link #SPIN_NANOS} (for a run that follows at once), then park.
   */
  public void endRun() {
    if (workers.length > 0) {
      lastRunEnd = System.nanoTime();
      activeRuns.decrementAndGet();
    }
  }

  /** Runs {@code task} over {@code [0, extent)}, split into chunks, and waits for all of them. */
  public void forRange(int extent, RangeTask task) {
    int chunks = Math.min(threads, extent);
    if (chunks <= 1 || closed) {
      if (extent > 0) {
        task.run(0, extent);
      }
      return;
    }
    LoopSizes sizes = LoopSizes.of(task);
    long work = sizes.nanos(extent);
    boolean small = work != LoopSizes.UNKNOWN
        && work < (workersHot(chunks - 1) ? minParallelHotNanos : minParallelNanos);
    if (small || !busy.compareAndSet(false, true)) {
      // Too small to split (measured again, so a loop that grows is split again), or nested /
      // concurrent: on the caller.
      long start = System.nanoTime();
      task.run(0, extent);
      long took = System.nanoTime() - start;
      if (small) {
        sizes.record(extent, took);
      }
      if (KernelProfiler.on()) {
        KernelProfiler.loopOnCaller(small, took);
      }
      return;
    }
    Loop loop = new Loop(++loops, task, extent, chunks, new AtomicInteger(1), new AtomicInteger(chunks - 1),
        new AtomicReference<>(), Thread.currentThread(), new AtomicLong(), new AtomicLong(),
        System.nanoTime(), KernelProfiler.on() ? new long[4 * chunks] : null);
    long joinWait = 0;
    int callerExtra = 0;
    try {
      if (WORKER_AFFINITY) {
        callerProcessor = Processors.current();
      }
      current = loop;
      for (int i = 0; i < chunks - 1; i++) {
        if (workers[i].parked) {
          LockSupport.unpark(workers[i]);
        }
      }
      loop.runChunk(0, false);
      // Chunks no worker has started yet run here: the caller never waits for a worker that is
      // not running (descheduled on a busy machine, or still waking up).
      callerExtra = Math.abs(loop.runChunks(false));
      joinWait = awaitWorkers(loop);
    } finally {
      current = null;
      busy.set(false);
    }
    sizes.record(extent, loop.work().get());
    if (ParallelTrace.ON) {
      ParallelTrace.record(ParallelTrace.Kind.LOOP, loop.id(), extent, loop.published(), -1);
    }
    if (KernelProfiler.on()) {
      KernelProfiler.loopSplit(loop.helped(), Math.max(0, loop.workerStart().get() - loop.published()),
          joinWait, callerExtra);
      if (loop.spans() != null) {
        KernelProfiler.loopSpans(loop.spans());
      }
    }
    // Failures are rethrown as they were thrown, message and stack trace.
    Throwable t = loop.failure().get();
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t instanceof Error e) {
      throw e;
    }
  }

  /** Waits until every chunk of {@code loop} is done; returns how long that took, in ns. */
  private long awaitWorkers(Loop loop) {
    if (loop.pending().get() == 0) {
      return 0;
    }
    long start = System.nanoTime();
    while (loop.pending().get() > 0) {
      // A chunk in progress on a worker: wait for it, briefly busy, then yielding, then parked.
      long waited = System.nanoTime() - start;
      if (waited < CALLER_SPIN_NANOS) {
        Thread.onSpinWait();
      } else if (waited < CALLER_YIELD_NANOS) {
        Thread.yield();
      } else {
        LockSupport.parkNanos(this, 50_000);
      }
    }
    return System.nanoTime() - start;
  }

  /** Whether the first {@code n} workers are waiting hot (not parked): a hand-off is cheap. */
  private boolean workersHot(int n) {
    for (int i = 0; i < n; i++) {
      if (workers[i].parked) {
        return false;
      }
    }
    return true;
  }

  /** How many workers are parked now (for tests: workers park between runs). */
  int parkedWorkers() {
    int n = 0;
    for (Worker w : workers) {
      n += w.parked ? 1 : 0;
    }
    return n;
  }

  /** A non-negative number of microseconds from a system property, in nanoseconds. */
  private static long micros(String property, long defaultMicros) {
    return Math.max(0, Long.getLong(property, defaultMicros)) * 1000;
  }

  @Override
  public void close() {
    closed = true;
    for (Worker w : workers) {
      LockSupport.unpark(w);
    }
  }

  /** Takes the chunks of every loop that no other thread has taken yet. */
  private final class Worker extends Thread {
    volatile boolean parked;
    /** The id of the last loop this worker looked at (only this thread uses it). */
    private long seen;
    /** Waits left without spinning, after spinning came late (only this thread uses it). */
    private int coldWaits;
    /** Which of the last loops found while spinning were late. */
    private final LateLoops lateLoops = new LateLoops(LATE_OF_8);
    /** How often this wait read {@link #current} (trace on only; the WAIT event's {@code b}). */
    private int polls;

    /** The processors this worker may run on as it started (null: unknown, never moves). */
    private long[] allowed;
    /** The caller's processor this worker last moved off (its affinity excludes it), or -1. */
    private int awayFrom = -1;

    Worker(int index) {
      super("kiln-worker-" + index);
      setDaemon(true);
    }

    @Override
    public void run() {
      allowed = WORKER_AFFINITY ? Processors.allowed() : null;
      while (!closed) {
        runNext();
      }
    }

    /** Runs chunks of the next loop; a method of its own so no local keeps the loop afterwards. */
    private void runNext() {
      long waitFrom = ParallelTrace.ON ? System.nanoTime() : 0;
      Loop loop = awaitLoop(seen);
      if (ParallelTrace.ON) {
        ParallelTrace.record(ParallelTrace.Kind.WAIT, loop == null ? -1 : loop.id(), polls, waitFrom, -1);
        polls = 0;
      }
      if (loop != null) {
        seen = loop.id();
        if (loop.runChunks(true) < 0) {
          LockSupport.unpark(loop.caller());
        }
      }
    }

    /**
     * The next loop (one with another id than {@code seen}): waits hot (spinning, then yielding)
     * while a model run is on for up to {@link #RUN_SPIN_NANOS}, and up to {@link #SPIN_NANOS}
     * after the last run ended, then parks until a loop or a new run wakes it; null when closed.
     */
    private Loop awaitLoop(long seen) {
      boolean spin = coldWaits == 0;
      if (!spin) {
        coldWaits--;
      }
      while (!closed) {
        long runs = runsBegun.get();
        long start = System.nanoTime();
        for (long now = start; spin && hot(start, now); now = System.nanoTime()) {
          Loop next = newLoop(seen);
          if (ParallelTrace.ON) {
            polls++;
          }
          if (next != null) {
            leaveCallersProcessor();
            if (lateLoops.found(System.nanoTime() - next.published() > LATE_NANOS)) {
              // Spinning and still late, again and again (off its core: the machine is busier
              // than its cores): park at once for a while, a thread woken from sleep is
              // scheduled sooner.
              coldWaits = COLD_WAITS;
            }
            return next;
          }
          // Busy-wait first; then yield, so that on a busy machine the cores go to threads with
          // work (a worker that burns its share is also scheduled later when its chunk comes).
          if (now - start < YIELD_AFTER_NANOS) {
            Thread.onSpinWait();
          } else {
            Thread.yield();
            // Back from a yield: if that was a wait behind the caller on its processor (the
            // kernel left this thread queued there), move off.
            leaveCallersProcessor();
          }
        }
        parked = true;
        // Read after announcing: a loop (or run) published before this line is seen here, and
        // one published after it finds parked set and unparks this thread.
        Loop next = newLoop(seen);
        if (next == null && runsBegun.get() == runs && !closed) {
          long parkedAt = ParallelTrace.ON ? System.nanoTime() : 0;
          LockSupport.park(this);
          next = newLoop(seen);
          if (ParallelTrace.ON) {
            ParallelTrace.record(ParallelTrace.Kind.PARK, next != null ? 1 : 0, spin ? 0 : 1, parkedAt, -1);
          }
        }
        parked = false;
        if (next != null) {
          leaveCallersProcessor();
          return next;
        }
      }
      return null;
    }

    /**
     * Moves this worker off the caller's processor if it is on it (woken or queued there while
     * another processor idles: see {@link Processors}); a no-op once it has left that one.
     */
    private void leaveCallersProcessor() {
      int caller = callerProcessor;
      if (allowed == null || caller < 0 || caller == awayFrom || Processors.current() != caller) {
        return;
      }
      long start = ParallelTrace.ON ? System.nanoTime() : 0;
      if (Processors.leave(caller, allowed)) {
        awayFrom = caller;
        if (ParallelTrace.ON) {
          ParallelTrace.record(ParallelTrace.Kind.MOVE, caller, 0, start, -1);
        }
      }
    }

    /** Whether a wait that began at {@code start} is still to be spent hot at {@code now}. */
    private boolean hot(long start, long now) {
      if (activeRuns.get() > 0) {
        return now - start < RUN_SPIN_NANOS;
      }
      return now - Math.max(start, lastRunEnd) < SPIN_NANOS;
    }

    /**
     * The loop being run if this worker has not looked at it yet, else null: a parked worker
     * holds no reference to a finished loop (its task would keep the generated class loaded).
     */
    private Loop newLoop(long seen) {
      Loop l = current;
      return l != null && l.id() != seen ? l : null;
    }
  }
}
