package dev.kiln.codegen.jit;

import static dev.kiln.codegen.jit.JitTestSupport.JAVAC;
import static dev.kiln.codegen.jit.JitTestSupport.answerClass;
import static dev.kiln.codegen.jit.JitTestSupport.callStatic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("compile")
class JitCompilerTest {
  @TempDir Path dir;

  private static JitCompiler jit(KernelCache cache) {
    return new JitCompiler(JAVAC, cache, JitCompilerTest.class.getClassLoader());
  }

  private static CacheKey key(String ir) {
    return CacheKey.builder().part("ir", ir).build();
  }

  @Test
  void compilesOnMissThenHitsMemoryThenDisk() throws Exception {
    JitCompiler jit = jit(KernelCache.withDisk(8, dir));
    CompiledUnit first = jit.compile(key("a"), answerClass("gen.j.A", 7));
    assertEquals(CompiledUnit.Origin.COMPILED, first.origin());
    assertEquals(7, callStatic(first.loadedClass("gen.j.A"), "answer"));
    assertSame(first.loader(), first.loadedClass("gen.j.A").getClassLoader());
    assertTrue(first.loader().getName().startsWith("kiln-model-"), first.loader().getName());

    CompiledUnit second = jit.compile(key("a"), answerClass("gen.j.A", 7));
    assertEquals(CompiledUnit.Origin.MEMORY_CACHE, second.origin());
    assertNotSame(first.loader(), second.loader(), "every unit gets a loader of its own");
    assertEquals(7, callStatic(second.loadedClass("gen.j.A"), "answer"));

    AtomicInteger generated = new AtomicInteger();
    JitCompiler restarted = jit(KernelCache.withDisk(8, dir));
    CompiledUnit third = restarted.compile(key("a"), () -> {
      generated.incrementAndGet();
      return answerClass("gen.j.A", 7);
    });
    assertEquals(CompiledUnit.Origin.DISK_CACHE, third.origin());
    assertEquals(0, generated.get(), "a hit must not run the code generator");
    assertEquals(7, callStatic(third.loadedClass("gen.j.A"), "answer"));

    JitStats stats = jit.stats();
    assertEquals(1, stats.compiles());
    assertEquals(1, stats.memoryHits());
    assertEquals(0, stats.diskHits());
    assertTrue(stats.firstCompileNanos() > 0);
    assertEquals(stats.firstCompileNanos(), stats.totalCompileNanos());
    assertEquals(1, restarted.stats().diskHits());
    assertEquals(0, restarted.stats().compiles());
  }

  @Test
  void unknownClassNameNamesTheUnitsClasses() {
    CompiledUnit unit = jit(KernelCache.inMemory(8)).compile(key("b"), answerClass("gen.j.B", 1));
    assertEquals("compiled unit has no class gen.j.Nope; its classes are [gen.j.B]",
        assertThrows(IllegalArgumentException.class, () -> unit.loadedClass("gen.j.Nope")).getMessage());
  }

  @Test
  void cachedEntryWithoutTheRequestedClassesIsRecompiled() throws Exception {
    KernelCache cache = KernelCache.inMemory(8);
    cache.put(key("c"), CompiledClasses.of(Map.of("gen.j.Other", "x".getBytes(StandardCharsets.UTF_8))));
    try (LogCapture log = new LogCapture(JitCompiler.class)) {
      CompiledUnit unit = jit(cache).compile(key("c"), answerClass("gen.j.C", 3));
      assertEquals(CompiledUnit.Origin.COMPILED, unit.origin());
      assertEquals(3, callStatic(unit.loadedClass("gen.j.C"), "answer"));
      assertEquals(1, log.warnings().size());
      assertTrue(log.warnings().get(0).endsWith("holds [gen.j.Other], not [gen.j.C]; recompiling"));
    }
  }

  @Test
  void cachedEntryTheJvmRejectsIsRecompiled() throws Exception {
    KernelCache cache = KernelCache.inMemory(8);
    cache.put(key("d"), CompiledClasses.of(Map.of("gen.j.D", "not a class file".getBytes(StandardCharsets.UTF_8))));
    try (LogCapture log = new LogCapture(JitCompiler.class)) {
      CompiledUnit unit = jit(cache).compile(key("d"), answerClass("gen.j.D", 4));
      assertEquals(CompiledUnit.Origin.COMPILED, unit.origin());
      assertEquals(4, callStatic(unit.loadedClass("gen.j.D"), "answer"));
      assertEquals(1, log.warnings().size());
      assertTrue(log.warnings().get(0).startsWith("kernel cache: entry " + key("d") + " cannot be loaded"
          + " (internal error: the JVM rejected generated class gen.j.D of " + key("d")
          + " (MEMORY_CACHE): java.lang.ClassFormatError"), log.warnings().get(0));
    }
    assertEquals(4, callStatic(jit(cache).compile(key("d"), answerClass("gen.j.D", 4))
        .loadedClass("gen.j.D"), "answer"), "the bad entry was replaced");
  }

  @Test
  void compiledClassTheJvmCannotLoadIsACodegenException(@TempDir Path libDir) throws Exception {
    // lib.Base is on javac's class path but not visible to the models' parent loader: the
    // generated subclass compiles, and defining it fails. A real way to get there is a class path
    // given to the compiler that does not match the runtime's.
    CompiledClasses base = JAVAC.compile(Map.of("lib.Base", "package lib;\npublic class Base {}\n"));
    java.nio.file.Files.createDirectories(libDir.resolve("lib"));
    java.nio.file.Files.write(libDir.resolve("lib/Base.class"), base.bytes("lib.Base").orElseThrow());
    List<Path> classPath = new ArrayList<>(JavaSourceCompiler.processClassPath());
    classPath.add(libDir);
    JitCompiler jit = new JitCompiler(new JavaSourceCompiler(classPath), KernelCache.inMemory(8),
        JitCompilerTest.class.getClassLoader());
    CodegenException e = assertThrows(CodegenException.class, () -> jit.compile(key("sub"),
        Map.of("gen.j.Sub", "package gen.j;\npublic class Sub extends lib.Base {}\n")));
    assertEquals("internal error: the JVM rejected generated class gen.j.Sub of " + key("sub")
        + " (COMPILED): java.lang.NoClassDefFoundError: lib/Base", e.getMessage());
    assertEquals(1, jit.stats().failures());
    assertTrue(jit.cache().get(key("sub")).isEmpty(), "classes that do not load must not be cached");
  }

  @Test
  void threadsAskingForOneKeyShareOneCompile() throws Exception {
    JitCompiler jit = jit(KernelCache.withDisk(8, dir));
    int threads = 4;
    AtomicInteger generated = new AtomicInteger();
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Object>> answers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        answers.add(pool.submit(() -> {
          start.await();
          CompiledUnit unit = jit.compile(key("e"), () -> {
            generated.incrementAndGet();
            return answerClass("gen.j.E", 11);
          });
          return callStatic(unit.loadedClass("gen.j.E"), "answer");
        }));
      }
      for (Future<Object> answer : answers) {
        assertEquals(11, answer.get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, generated.get());
    assertEquals(1, jit.stats().compiles());
    assertEquals(threads - 1, jit.stats().memoryHits());
  }

  @Test
  void aThreadWaitingForAFailedCompileGetsTheSameError() throws Exception {
    JitCompiler jit = jit(KernelCache.inMemory(8));
    CountDownLatch generating = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Map<String, String> broken = Map.of("gen.j.F", "package gen.j;\nclass F { int x = ; }\n");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<CodegenException> first = pool.submit(() -> assertThrows(CodegenException.class,
          () -> jit.compile(key("f"), () -> {
            generating.countDown();
            await(release);
            return broken;
          })));
      assertTrue(generating.await(10, TimeUnit.SECONDS));
      Future<CodegenException> second = pool.submit(() -> assertThrows(CodegenException.class,
          () -> jit.compile(key("f"), () -> broken)));
      Thread.sleep(100);  // let the second thread find the compile in flight (either way it must fail)
      release.countDown();
      CodegenException e1 = first.get();
      CodegenException e2 = second.get();
      assertEquals(e1.getMessage(), e2.getMessage());
      assertEquals(e1.diagnostics(), e2.diagnostics());
      assertTrue(e1.getMessage().contains("gen/j/F.java:2:19: error: illegal start of expression"),
          e1.getMessage());
    } finally {
      pool.shutdownNow();
    }
    assertTrue(jit.stats().failures() >= 1);
    assertEquals(0, jit.stats().compiles());
    assertTrue(jit.cache().get(key("f")).isEmpty(), "a failure must not be cached");
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(10, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
