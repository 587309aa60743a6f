package dev.kiln.runtime.compiled;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
 * worker has started by the time its own is done, so a loop never waits for a worker to wake, and
 * workers may spin for {@link #SPIN_NANOS} after each loop for the next one.
 *
 * <p>A parallel loop reached while this executor is already running one (a nested loop, or a
 * second model run on another thread at the same time) runs on its calling thread, serially: it
 * never waits for a worker, so it cannot deadlock.
 *
 * <p>Thread-safe. {@link #close} stops the workers; {@link #serial()} has none.
 */
public final class ParallelExecutor implements AutoCloseable {
  /**
   * How long a worker spins for the next loop before it parks: system property
   * {@code kiln.workerSpinMicros}, default 0 (park at once). Spinning (200 µs, as ONNX Runtime's
   * threads do) takes the wake-up off every loop on a machine with free cores, but on a
   * machine busier than its cores it made 2-thread runs slower (measured at load average 15 to
   * 20: ResNet-18 Kiln/ONNX Runtime 2.5 against 0.9 with the fork/join pool): a spinning worker
   * uses up its share and is scheduled late when its chunk comes.
   */
  static final long SPIN_NANOS = Math.max(0, Long.getLong("kiln.workerSpinMicros", 0)) * 1000;
  /** ...busy for the first part of it, yielding the core for the rest. */
  static final long YIELD_AFTER_NANOS = Math.min(20_000, SPIN_NANOS);

  private static final ParallelExecutor SERIAL = new ParallelExecutor(1);

  private final int threads;
  private final Worker[] workers;
  /** Held by the thread whose loop the workers run. */
  private final AtomicBoolean busy = new AtomicBoolean();

  /**
   * The loop being run, null between loops: no reference to a finished loop's task is kept (it
   * would keep the generated class, and an artifact's class loader, reachable).
   */
  private volatile Loop current;
  /** Numbers the loops, so that workers tell them apart without holding on to them. */
  private long loops;
  private volatile boolean closed;

  /** One parallel loop, published whole to the workers (a volatile write of {@link #current}). */
  private record Loop(long id, RangeTask task, int extent, int chunks, AtomicInteger next,
      AtomicInteger pending, AtomicReference<Throwable> failure, Thread caller) {
    /** Runs chunks not yet taken by anyone; returns whether this thread finished the last one. */
    boolean runChunks() {
      boolean last = false;
      for (int c; (c = next.getAndIncrement()) < chunks; ) {
        runChunk(c);
        last = pending.decrementAndGet() == 0;
      }
      return last;
    }

    void runChunk(int c) {
      try {
        task.run((int) ((long) extent * c / chunks), (int) ((long) extent * (c + 1) / chunks));
      } catch (RuntimeException | Error e) {
        failure.compareAndSet(null, e);
      }
    }
  }

  private ParallelExecutor(int threads) {
    this.threads = threads;
    this.workers = new Worker[threads - 1];
    for (int i = 0; i < workers.length; i++) {
      workers[i] = new Worker(i + 1);
      workers[i].start();
    }
  }

  /** An executor with {@code threads - 1} daemon worker threads (1: everything on the caller). */
  public static ParallelExecutor withThreads(int threads) {
    checkArgument(threads >= 1, "threads must be at least 1, got %s", threads);
    return threads == 1 ? SERIAL : new ParallelExecutor(threads);
  }

  /** Runs every loop on the calling thread, in order. */
  public static ParallelExecutor serial() {
    return SERIAL;
  }

  public int threads() {
    return threads;
  }

  /** Runs {@code task} over {@code [0, extent)}, split into chunks, and waits for all of them. */
  public void forRange(int extent, RangeTask task) {
    int chunks = Math.min(threads, extent);
    if (chunks <= 1 || closed || !busy.compareAndSet(false, true)) {
      if (extent > 0) {
        task.run(0, extent);
      }
      return;
    }
    Loop loop = new Loop(++loops, task, extent, chunks, new AtomicInteger(1), new AtomicInteger(chunks - 1),
        new AtomicReference<>(), Thread.currentThread());
    try {
      current = loop;
      for (int i = 0; i < chunks - 1; i++) {
        if (workers[i].parked) {
          LockSupport.unpark(workers[i]);
        }
      }
      loop.runChunk(0);
      // Chunks no worker has started yet run here: the caller never waits for a worker that is
      // not running (descheduled on a busy machine, or still waking up).
      loop.runChunks();
      awaitWorkers(loop);
    } finally {
      current = null;
      busy.set(false);
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

  private void awaitWorkers(Loop loop) {
    long start = System.nanoTime();
    while (loop.pending().get() > 0) {
      // A chunk in progress on a worker: wait for it, briefly busy, then yielding, then parked.
      long waited = System.nanoTime() - start;
      if (waited < 20_000) {
        Thread.onSpinWait();
      } else if (waited < 200_000) {
        Thread.yield();
      } else {
        LockSupport.parkNanos(this, 50_000);
      }
    }
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

    Worker(int index) {
      super("kiln-worker-" + index);
      setDaemon(true);
    }

    @Override
    public void run() {
      while (!closed) {
        runNext();
      }
    }

    /** Runs chunks of the next loop; a method of its own so no local keeps the loop afterwards. */
    private void runNext() {
      Loop loop = awaitLoop(seen);
      if (loop != null) {
        seen = loop.id();
        if (loop.runChunks()) {
          LockSupport.unpark(loop.caller());
        }
      }
    }

    /**
     * The next loop (one with another id than {@code seen}): spins a while, then parks until the
     * caller wakes it; null when closed.
     */
    private Loop awaitLoop(long seen) {
      long start = System.nanoTime();
      for (long waited = 0; waited < SPIN_NANOS; waited = System.nanoTime() - start) {
        Loop next = newLoop(seen);
        if (next != null) {
          return next;
        }
        // Busy-wait first; then yield, so that on a busy machine the cores go to threads with work
        // (a worker that burns its share is also scheduled later when its chunk comes).
        if (waited < YIELD_AFTER_NANOS) {
          Thread.onSpinWait();
        } else {
          Thread.yield();
        }
      }
      while (!closed) {
        parked = true;
        // Read after announcing: a loop published before this line is seen here, and one
        // published after it finds parked set and unparks this thread.
        Loop next = newLoop(seen);
        if (next == null) {
          LockSupport.park(this);
          next = newLoop(seen);
        }
        parked = false;
        if (next != null) {
          return next;
        }
      }
      return null;
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
