package dev.kiln.codegen.jit;

import java.nio.file.Path;

/**
 * The other process of {@link CrossProcessCacheTest} and the cold/warm timing report: a fresh JVM
 * that uses the kernel cache in a given directory.
 *
 * <p>{@code compile DIR VALUE}: compiles (or loads) the answer class of key {@code VALUE} through
 * a disk cache in DIR and prints {@code origin=... answer=...}.
 *
 * <p>{@code timing DIR}: prints {@code cold=<ms> warm=<ms> memoryHit=<ms> diskHit=<ms>} for a small
 * class: the first javac call of the JVM, a later javac call of another class, a memory hit, and a
 * disk hit by a compiler with a fresh memory tier.
 */
public final class CacheUserMain {
  private CacheUserMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    switch (args[0]) {
      case "compile" -> {
        JitCompiler jit = JitCompiler.create(KernelCache.withDisk(8, dir));
        CompiledUnit unit = jit.compile(CacheKey.builder().part("ir", args[2]).build(),
            JitTestSupport.answerClass("gen.p.Answer", Integer.parseInt(args[2])));
        System.out.println("origin=" + unit.origin()
            + " answer=" + JitTestSupport.callStatic(unit.loadedClass("gen.p.Answer"), "answer"));
      }
      case "timing" -> {
        JitCompiler jit = JitCompiler.create(KernelCache.withDisk(8, dir));
        double cold = millis(jit.compile(key("cold"), JitTestSupport.answerClass("gen.t.Cold", 1)));
        double warm = Double.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
          warm = Math.min(warm, millis(jit.compile(key("warm" + i),
              JitTestSupport.answerClass("gen.t.Warm" + i, i))));
        }
        double memoryHit = millis(jit.compile(key("cold"), JitTestSupport.answerClass("gen.t.Cold", 1)));
        JitCompiler restarted = JitCompiler.create(KernelCache.withDisk(8, dir));
        CompiledUnit fromDisk = restarted.compile(key("cold"), JitTestSupport.answerClass("gen.t.Cold", 1));
        if (fromDisk.origin() != CompiledUnit.Origin.DISK_CACHE) {
          throw new AssertionError("expected a disk hit, got " + fromDisk.origin());
        }
        System.out.printf(java.util.Locale.ROOT, "cold=%.1f warm=%.1f memoryHit=%.2f diskHit=%.2f%n",
            cold, warm, memoryHit, millis(fromDisk));
        System.out.println(jit.stats());
      }
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }

  private static CacheKey key(String ir) {
    return CacheKey.builder().part("ir", ir).build();
  }

  private static double millis(CompiledUnit unit) {
    return unit.nanos() / 1e6;
  }
}
