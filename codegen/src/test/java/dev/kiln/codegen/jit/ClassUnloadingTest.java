package dev.kiln.codegen.jit;

import static dev.kiln.codegen.jit.JitTestSupport.callStatic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.lang.ref.WeakReference;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A dropped model's classes must be unloadable: neither the JIT compiler nor its cache may keep
 * a model's loader reachable, or a server compiling model after model leaks metaspace.
 */
@Tag("compile")
class ClassUnloadingTest {
  private static final int MAX_GC_ROUNDS = 30;

  @Test
  void droppedModelsLoaderAndClassesAreCollected() throws Exception {
    JitCompiler jit = new JitCompiler(
        JitTestSupport.JAVAC, KernelCache.inMemory(8), ClassUnloadingTest.class.getClassLoader());
    List<WeakReference<Object>> refs = compileRunAndForget(jit);
    // The compiler and its cache (which keeps the class files) stay alive on purpose.
    assertNotNull(jit.cache().get(CacheKey.builder().part("ir", "unload").build()).orElse(null));

    int rounds = 0;
    while (refs.stream().anyMatch(r -> r.get() != null) && rounds < MAX_GC_ROUNDS) {
      System.gc();
      Thread.sleep(20);
      rounds++;
    }
    for (WeakReference<Object> ref : refs) {
      assertEquals(null, ref.get(), () -> "still reachable after " + MAX_GC_ROUNDS
          + " System.gc() calls: something (the JIT compiler, its cache, a static) holds a model's"
          + " loader or class, or this JVM ignores System.gc() (-XX:+DisableExplicitGC?)");
    }
    // The same key still compiles (from the cache) into a working, fresh unit.
    CompiledUnit again = jit.compile(CacheKey.builder().part("ir", "unload").build(),
        JitTestSupport.answerClass("gen.u.Unload", 5));
    assertEquals(CompiledUnit.Origin.MEMORY_CACHE, again.origin());
    assertEquals(5, callStatic(again.loadedClass("gen.u.Unload"), "answer"));
  }

  /** In its own frame so no local variable keeps the unit alive. */
  private static List<WeakReference<Object>> compileRunAndForget(JitCompiler jit) throws Exception {
    CompiledUnit unit = jit.compile(CacheKey.builder().part("ir", "unload").build(),
        JitTestSupport.answerClass("gen.u.Unload", 5));
    Class<?> type = unit.loadedClass("gen.u.Unload");
    assertEquals(5, callStatic(type, "answer"));
    Object instance = type.getDeclaredConstructor().newInstance();
    return List.of(new WeakReference<>(unit.loader()), new WeakReference<>(type),
        new WeakReference<>(instance));
  }
}
