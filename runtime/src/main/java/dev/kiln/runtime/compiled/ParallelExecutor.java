package dev.kiln.runtime.compiled;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs the iterations of parallel loops on a fork/join pool of a fixed number of threads: the
 * range is split into one chunk per thread (fewer when there are fewer iterations), one task per
 * chunk. A fork/join pool rather than a plain thread pool so that a parallel loop reached from
 * inside another one (or from many model runs at once) helps instead of deadlocking.
 *
 * <p>Thread-safe. {@link #close} shuts the pool down; {@link #serial()} needs no threads.
 */
public final class ParallelExecutor implements AutoCloseable {
  private static final ParallelExecutor SERIAL = new ParallelExecutor(null, 1);

  private final ForkJoinPool pool;
  private final int threads;

  private ParallelExecutor(ForkJoinPool pool, int threads) {
    this.pool = pool;
    this.threads = threads;
  }

  /** An executor with its own pool of {@code threads} daemon threads (1 runs on the caller). */
  public static ParallelExecutor withThreads(int threads) {
    checkArgument(threads >= 1, "threads must be at least 1, got %s", threads);
    if (threads == 1) {
      return SERIAL;
    }
    ForkJoinPool pool = new ForkJoinPool(threads, p -> {
      ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
      t.setDaemon(true);
      t.setName("kiln-worker-" + t.getPoolIndex());
      return t;
    }, null, false);
    return new ParallelExecutor(pool, threads);
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
    if (chunks <= 1) {
      if (extent > 0) {
        task.run(0, extent);
      }
      return;
    }
    // Failures are kept and rethrown as they are: fork/join would rethrow a copy made on the
    // waiting thread, without the original's message.
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<RecursiveAction> parts = new ArrayList<>(chunks);
    for (int c = 0; c < chunks; c++) {
      int start = (int) ((long) extent * c / chunks);
      int end = (int) ((long) extent * (c + 1) / chunks);
      parts.add(new RecursiveAction() {
        @Override
        protected void compute() {
          try {
            task.run(start, end);
          } catch (RuntimeException | Error e) {
            failure.compareAndSet(null, e);
          }
        }
      });
    }
    if (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == pool) {
      ForkJoinTask.invokeAll(parts);
    } else {
      // The caller runs the first chunk itself while the pool runs the others: one thread fewer
      // to wake per loop, and the caller's core is not left idle waiting (each wake-up costs tens
      // of microseconds, and a convolution runs a dozen parallel loops).
      List<ForkJoinTask<Void>> forked = new ArrayList<>(chunks - 1);
      for (int c = 1; c < chunks; c++) {
        forked.add(pool.submit(parts.get(c)));
      }
      parts.get(0).invoke();
      for (ForkJoinTask<Void> f : forked) {
        f.join();
      }
    }
    Throwable t = failure.get();
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t instanceof Error e) {
      throw e;
    }
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdown();
    }
  }
}
