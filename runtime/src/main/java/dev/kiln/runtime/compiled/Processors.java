package dev.kiln.runtime.compiled;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Which processor a thread runs on, and moving the calling thread off one: Linux's
 * {@code sched_getcpu} and {@code sched_setaffinity} through the FFM linker. Elsewhere (another
 * OS, a C library without them) every method answers "unknown" and moves nothing.
 *
 * <p>What it is for: {@link ParallelTrace} records the processor of each event, which showed
 * (session 10, docs/performance.md "The second thread's lottery") that on this VM (Firecracker,
 * no cache topology in sysfs, so the kernel may not look for the idle vCPU when it wakes a
 * thread) a worker can sit queued behind the caller on the caller's own processor for
 * milliseconds while the other processor idles. With {@code -Dkiln.workerAffinity=true} a worker
 * that finds itself there moves itself off ({@link #leave}); the caller's thread, the user's, is
 * never touched. Off by default: it removed the sharing but did not improve the medians.
 *
 * <p>The JVM may print one warning about native access unless it runs with
 * {@code --enable-native-access=ALL-UNNAMED} ({@code bin/kiln} and the tests pass it). Nothing
 * here is called unless the trace or the switch is on.
 */
public final class Processors {
  /** Bytes of the {@code cpu_set_t} passed to the kernel: 1024 processors, glibc's default. */
  private static final int SET_BYTES = 128;

  /** Successful {@link #leave} calls in this JVM (diagnostics: {@code GemmPlacement trace} prints it). */
  private static final java.util.concurrent.atomic.AtomicLong LEFT = new java.util.concurrent.atomic.AtomicLong();

  private Processors() {}

  /** How many times a thread moved itself off a processor with {@link #leave} in this JVM. */
  public static long moves() {
    return LEFT.get();
  }

  /** The C library's functions, looked up on first use; null members where not found. */
  private static final class Native {
    static final MethodHandle GETCPU;
    static final MethodHandle GETAFFINITY;
    static final MethodHandle SETAFFINITY;

    static {
      MethodHandle getcpu = null;
      MethodHandle getaffinity = null;
      MethodHandle setaffinity = null;
      try {
        Linker linker = Linker.nativeLinker();
        FunctionDescriptor affinity = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
        getcpu = find(linker, "sched_getcpu", FunctionDescriptor.of(ValueLayout.JAVA_INT)).orElse(null);
        getaffinity = find(linker, "sched_getaffinity", affinity).orElse(null);
        setaffinity = find(linker, "sched_setaffinity", affinity).orElse(null);
      } catch (RuntimeException | LinkageError e) {
        // No native linker on this platform, or native access denied (--enable-native-access
        // with another module, or =deny): no processor information, nothing moves.
      }
      GETCPU = getcpu;
      GETAFFINITY = getaffinity;
      SETAFFINITY = setaffinity;
    }

    private static Optional<MethodHandle> find(Linker linker, String name, FunctionDescriptor d) {
      return linker.defaultLookup().find(name).map(f -> linker.downcallHandle(f, d));
    }
  }

  /** The processor the calling thread is on now, or -1 where unknown. */
  public static int current() {
    if (Native.GETCPU == null) {
      return -1;
    }
    try {
      return (int) Native.GETCPU.invokeExact();
    } catch (Throwable t) {
      return -1;
    }
  }

  /**
   * The processors the calling thread may run on, as a bit set (bit {@code p} of word
   * {@code p / 64}), or null where unknown.
   */
  public static long[] allowed() {
    if (Native.GETAFFINITY == null) {
      return null;
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment set = arena.allocate(SET_BYTES, 8);
      int rc = (int) Native.GETAFFINITY.invokeExact(0, (long) SET_BYTES, set);
      return rc == 0 ? set.toArray(ValueLayout.JAVA_LONG) : null;
    } catch (Throwable t) {
      return null;
    }
  }

  /**
   * Restricts the calling thread to {@code allowed} without {@code processor}, which moves it
   * off that processor at once if it is on it. Returns false, changing nothing, when that
   * leaves no processor, {@code processor} is unknown (negative), or the kernel refuses.
   */
  public static boolean leave(int processor, long[] allowed) {
    if (Native.SETAFFINITY == null || allowed == null || processor < 0 || processor >= allowed.length * 64) {
      return false;
    }
    long[] rest = allowed.clone();
    rest[processor / 64] &= ~(1L << (processor % 64));
    boolean any = false;
    for (long w : rest) {
      any |= w != 0;
    }
    if (!any || !set(rest)) {
      return false;
    }
    LEFT.incrementAndGet();
    return true;
  }

  /** Restricts the calling thread to the processors of {@code set}; false where that failed. */
  public static boolean set(long[] set) {
    if (Native.SETAFFINITY == null || set == null) {
      return false;
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment mask = arena.allocate(SET_BYTES, 8);
      for (int i = 0; i < Math.min(set.length, SET_BYTES / 8); i++) {
        mask.setAtIndex(ValueLayout.JAVA_LONG, i, set[i]);
      }
      return (int) Native.SETAFFINITY.invokeExact(0, (long) SET_BYTES, mask) == 0;
    } catch (Throwable t) {
      return false;
    }
  }
}
