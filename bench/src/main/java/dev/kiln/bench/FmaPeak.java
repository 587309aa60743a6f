package dev.kiln.bench;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's fp32 peak as Java can reach it, measured in-process: a loop of Vector API fused
 * multiply-adds on the preferred species into twelve independent accumulators, all in registers
 * (enough independent chains to cover the FMA latency on two FMA ports). It is the yardstick for
 * "% of peak": what a perfect kernel with no memory traffic would reach on this JVM and CPU.
 *
 * @param vectorBits the preferred species' width
 * @param threads the thread count of {@code gflopsAllThreads}
 */
public record FmaPeak(int vectorBits, double gflopsOneThread, int threads, double gflopsAllThreads) {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int ACCUMULATORS = 12;
  /** About 4 ms per repetition at 150 GFLOP/s with 16 lanes: short, so that the best one likely ran
   * undisturbed on a shared machine. */
  private static final long ITERATIONS = 1_500_000;
  private static final int REPETITIONS = 40;

  /**
   * The peak that "% of peak" is of: {@code threads} times the 1-thread peak. Measured together,
   * the threads reach it only when every core is free at once, which on a shared machine they
   * rarely are; the 1-thread figure, best of many short repetitions, is the robust one.
   */
  public double peakGflops() {
    return threads * gflopsOneThread;
  }

  /** Floating-point operations of one loop iteration: a multiply and an add per lane. */
  static long flopsPerIteration() {
    return 2L * SPECIES.length() * ACCUMULATORS;
  }

  /** Measures the peak on one thread and on {@code threads} threads at once. */
  public static FmaPeak measure(int threads) {
    checkArgument(threads >= 1, "threads must be at least 1, got %s", threads);
    // Warm-up, so that the loop runs C2-compiled code in the timed repetitions.
    for (int i = 0; i < 20; i++) {
      sink(fmaLoop(ITERATIONS / 20));
    }
    double one = gflops(1);
    double all = threads == 1 ? one : gflops(threads);
    return new FmaPeak(SPECIES.vectorBitSize(), one, threads, all);
  }

  /**
   * The best of many short repetitions: the peak is what the machine can do, not what it did
   * while shared. Each thread times itself, so that a descheduled coordinating thread cannot
   * shorten the measured span: the span runs from the first thread's start to the last one's end.
   */
  private static double gflops(int threads) {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      double best = 0;
      for (int rep = 0; rep < REPETITIONS; rep++) {
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<long[]>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          done.add(pool.submit(() -> {
            start.await();
            long begin = System.nanoTime();
            sink(fmaLoop(ITERATIONS));
            return new long[] {begin, System.nanoTime()};
          }));
        }
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (Future<long[]> f : done) {
          long[] span = f.get();
          first = Math.min(first, span[0]);
          last = Math.max(last, span[1]);
        }
        best = Math.max(best, (double) threads * ITERATIONS * flopsPerIteration() / (last - first));
      }
      return best;
    } catch (Exception e) {
      throw new IllegalStateException("the FMA peak measurement failed", e);
    } finally {
      pool.shutdownNow();
    }
  }

  private static volatile float sink;

  private static void sink(float value) {
    sink = value;
  }

  /** Twelve independent fma chains; returns their sum so that the loop cannot be removed. */
  static float fmaLoop(long iterations) {
    FloatVector a = FloatVector.broadcast(SPECIES, 0.999999f);
    FloatVector b = FloatVector.broadcast(SPECIES, 1e-7f);
    FloatVector c0 = FloatVector.broadcast(SPECIES, 0f);
    FloatVector c1 = FloatVector.broadcast(SPECIES, 1f);
    FloatVector c2 = FloatVector.broadcast(SPECIES, 2f);
    FloatVector c3 = FloatVector.broadcast(SPECIES, 3f);
    FloatVector c4 = FloatVector.broadcast(SPECIES, 4f);
    FloatVector c5 = FloatVector.broadcast(SPECIES, 5f);
    FloatVector c6 = FloatVector.broadcast(SPECIES, 6f);
    FloatVector c7 = FloatVector.broadcast(SPECIES, 7f);
    FloatVector c8 = FloatVector.broadcast(SPECIES, 8f);
    FloatVector c9 = FloatVector.broadcast(SPECIES, 9f);
    FloatVector c10 = FloatVector.broadcast(SPECIES, 10f);
    FloatVector c11 = FloatVector.broadcast(SPECIES, 11f);
    for (long i = 0; i < iterations; i++) {
      // c = c * a + b: each chain depends only on itself, and stays bounded.
      c0 = c0.fma(a, b);
      c1 = c1.fma(a, b);
      c2 = c2.fma(a, b);
      c3 = c3.fma(a, b);
      c4 = c4.fma(a, b);
      c5 = c5.fma(a, b);
      c6 = c6.fma(a, b);
      c7 = c7.fma(a, b);
      c8 = c8.fma(a, b);
      c9 = c9.fma(a, b);
      c10 = c10.fma(a, b);
      c11 = c11.fma(a, b);
    }
    FloatVector sum = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9)
        .add(c10).add(c11);
    return sum.reduceLanes(VectorOperators.ADD);
  }
}
