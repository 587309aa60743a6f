package dev.kiln.runtime.compiled;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Where in memory a Java array's first element is now, for placing data on cache lines: a
 * {@code float[]}'s data starts only 8-byte aligned, so a 64-byte vector load from it straddles
 * two lines in 7 arrays of 8 (docs/performance.md, "Aligned weights"). Java has no API for an
 * array's address; a critical downcall may pass a heap array to C, and C's {@code memmove(a, a, 0)}
 * returns its argument. The answer is only true until the garbage collector moves the array: use
 * it for speed, never for correctness.
 */
public final class HeapAddresses {
  private HeapAddresses() {}

  /** memmove(void *dst, const void *src, size_t n), returning dst; null where unavailable. */
  private static final MethodHandle MEMMOVE = memmove();

  private static MethodHandle memmove() {
    try {
      Linker linker = Linker.nativeLinker();
      return linker.defaultLookup().find("memmove").map(f -> linker.downcallHandle(f,
          FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
          Linker.Option.critical(true))).orElse(null);
    } catch (RuntimeException | LinkageError e) {
      // No native linker here, or native access denied: no addresses, arrays stay as they are.
      return null;
    }
  }

  /** The address of {@code array}'s first element now, or -1 where it cannot be known. */
  public static long firstElement(float[] array) {
    if (MEMMOVE == null || array.length == 0) {
      return -1;
    }
    try {
      MemorySegment a = MemorySegment.ofArray(array);
      return ((MemorySegment) MEMMOVE.invokeExact(a, a, 0L)).address();
    } catch (Throwable t) {
      return -1;
    }
  }
}
