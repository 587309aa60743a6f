package dev.kiln.runtime.compiled;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A diagnostic time line of the parallel loops and the generated GEMMs' pieces of work: which
 * thread ran what, from when to when (wall clock and thread CPU time). On only with the system
 * property {@code kiln.parallelTrace=true} (read once, at class initialisation); off, every hook
 * is behind the constant {@link #ON}, which the JIT folds, so the generated code and the executor
 * pay nothing. A tool for {@code GemmPlacement trace} (bench module), not for production runs:
 * process-wide, a fixed number of events between {@link #reset} calls, later ones dropped.
 */
public final class ParallelTrace {
  /** Whether events are recorded: system property {@code kiln.parallelTrace}. */
  public static final boolean ON = Boolean.getBoolean("kiln.parallelTrace");

  /** What an event is. */
  public enum Kind {
    /** A split loop on its caller, from its publication to the end of its last chunk. */
    LOOP,
    /** One chunk of a split loop ({@code a} = loop id, {@code b} = chunk). */
    CHUNK,
    /** A GEMM's packing of items {@code [a, b)} (A's row panels first, then B's). */
    PACK,
    /** A GEMM tile: {@code a} = its first row, {@code b} = its first column panel. */
    TILE,
    /** A run's input copy or output allocation ({@code a} = frame slot, {@code b} = elements). */
    SLOT,
    /**
     * A worker parked ({@code a} = 1 when a loop was waiting when it woke, {@code b} = 1 when it
     * had stopped spinning for lateness); the event spans the park.
     */
    PARK,
    /**
     * A worker's wait for its next loop ({@code a} = the loop's id, or -1; {@code b} = how often
     * it looked), from its last chunk on.
     */
    WAIT,
    /** A worker moved itself off the caller's processor ({@code a}; {@link Processors#leave}). */
    MOVE
  }

  /**
   * One event: on {@code thread}, wall-clock {@code [start, end)} in {@link System#nanoTime}
   * terms, {@code cpu} ns of the thread's CPU time in between (-1 when not measured), and the
   * processor the thread was on when it ended ({@link Processors#current}; -1 where unknown).
   */
  public record Event(Kind kind, String thread, long a, long b, long start, long end, long cpu, int core) {
    public long nanos() {
      return end - start;
    }
  }

  private static final int CAPACITY = 1 << 14;
  private static final Event[] EVENTS = new Event[CAPACITY];
  private static final AtomicInteger NEXT = new AtomicInteger();

  private ParallelTrace() {}

  /**
   * The thread bean, in a class of its own: loaded only when a CPU time is asked for (trace on),
   * so that generated code reading {@link #ON} runs on a runtime image without
   * {@code java.management} (an artifact on a jlinked image).
   */
  private static final class Threads {
    static final ThreadMXBean BEAN = ManagementFactory.getThreadMXBean();
  }

  /** The calling thread's CPU time in ns (for {@link #record}'s {@code cpuStart}). */
  public static long cpu() {
    return Threads.BEAN.getCurrentThreadCpuTime();
  }

  /**
   * Records an event that began at {@code start} (wall) and {@code cpuStart} (the thread's CPU
   * time, or -1) and ends now, on the calling thread.
   */
  public static void record(Kind kind, long a, long b, long start, long cpuStart) {
    long end = System.nanoTime();
    long cpu = cpuStart < 0 ? -1 : cpu() - cpuStart;
    int i = NEXT.getAndIncrement();
    if (i < CAPACITY) {
      EVENTS[i] = new Event(kind, Thread.currentThread().getName(), a, b, start, end, cpu, Processors.current());
    }
  }

  /** A GEMM tile (rows from {@code row0}, column panels from {@code panel0}) that began at the given times. */
  public static void tile(int row0, int panel0, long start, long cpuStart) {
    record(Kind.TILE, row0, panel0, start, cpuStart);
  }

  /** A GEMM's packing of items {@code [lo, hi)} that began at the given times. */
  public static void pack(int lo, int hi, long start, long cpuStart) {
    record(Kind.PACK, lo, hi, start, cpuStart);
  }

  /** Forgets every event recorded so far. */
  public static void reset() {
    int n = Math.min(CAPACITY, NEXT.get());
    for (int i = 0; i < n; i++) {
      EVENTS[i] = null;
    }
    NEXT.set(0);
  }

  /** The events recorded since the last {@link #reset}, in the order they ended. */
  public static List<Event> events() {
    int n = Math.min(CAPACITY, NEXT.get());
    List<Event> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Event e = EVENTS[i];
      if (e != null) {
        out.add(e);
      }
    }
    return out;
  }
}
