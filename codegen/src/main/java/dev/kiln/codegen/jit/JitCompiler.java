package dev.kiln.codegen.jit;

import com.google.common.collect.ImmutableMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Turns generated sources into loaded classes, through the {@link KernelCache}: a hit skips javac,
 * a miss compiles and stores. Either way the classes are defined in a fresh
 * {@link ModelClassLoader}, so every unit can be unloaded independently.
 *
 * <p>Thread-safe. Threads that ask for the same key while it compiles wait for that one compile
 * instead of running javac again.
 */
public final class JitCompiler {
  private static final System.Logger LOG = System.getLogger(JitCompiler.class.getName());

  private final JavaSourceCompiler javac;
  private final KernelCache cache;
  private final ClassLoader parent;
  private final ConcurrentHashMap<CacheKey, CompletableFuture<CompiledClasses>> inFlight =
      new ConcurrentHashMap<>();

  private final LongAdder compiles = new LongAdder();
  private final LongAdder memoryHits = new LongAdder();
  private final LongAdder diskHits = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final AtomicLong firstCompileNanos = new AtomicLong();
  private final LongAdder totalCompileNanos = new LongAdder();
  private final LongAdder totalHitNanos = new LongAdder();

  /**
   * @param parent the loader of Kiln's runtime classes, parent of every model's loader
   */
  public JitCompiler(JavaSourceCompiler javac, KernelCache cache, ClassLoader parent) {
    this.javac = Objects.requireNonNull(javac, "javac");
    this.cache = Objects.requireNonNull(cache, "cache");
    this.parent = Objects.requireNonNull(parent, "parent");
  }

  /** Compiles against this process's class path; models' loaders are children of Kiln's loader. */
  public static JitCompiler create(KernelCache cache) {
    return new JitCompiler(
        JavaSourceCompiler.forCurrentProcess(), cache, JitCompiler.class.getClassLoader());
  }

  public KernelCache cache() {
    return cache;
  }

  /**
   * The unit of {@code key}, compiled from {@code sources} unless cached.
   *
   * @param sources fully qualified top-level class name to compilation unit; each must be a class
   *     of the cached unit too, or the cached entry is ignored as stale
   * @throws CodegenException if javac rejects the sources or the JVM rejects a class
   */
  public CompiledUnit compile(CacheKey key, Map<String, String> sources) {
    Map<String, String> copy = Map.copyOf(sources);
    return compile(key, copy, () -> copy);
  }

  /**
   * As {@link #compile(CacheKey, Map)}, generating the sources only on a miss: on a hit the code
   * generator never runs.
   */
  public CompiledUnit compile(CacheKey key, Supplier<Map<String, String>> sources) {
    return compile(key, null, sources);
  }

  /** @param expectedClasses the sources when known up front, to check a hit against; else null */
  private CompiledUnit compile(
      CacheKey key, Map<String, String> expectedClasses, Supplier<Map<String, String>> sources) {
    long start = System.nanoTime();
    var hit = cache.get(key);
    if (hit.isPresent() && expectedClasses != null
        && !hit.get().classes().names().containsAll(expectedClasses.keySet())) {
      LOG.log(System.Logger.Level.WARNING, "kernel cache: entry " + key + " holds "
          + hit.get().classes().names() + ", not " + expectedClasses.keySet() + "; recompiling");
      hit = java.util.Optional.empty();
    }
    if (hit.isPresent()) {
      CompiledUnit.Origin origin = hit.get().tier() == KernelCache.Tier.MEMORY
          ? CompiledUnit.Origin.MEMORY_CACHE : CompiledUnit.Origin.DISK_CACHE;
      (origin == CompiledUnit.Origin.MEMORY_CACHE ? memoryHits : diskHits).increment();
      CompiledUnit unit = define(key, hit.get().classes(), origin, start);
      totalHitNanos.add(unit.nanos());
      return unit;
    }

    CompletableFuture<CompiledClasses> mine = new CompletableFuture<>();
    CompletableFuture<CompiledClasses> running = inFlight.putIfAbsent(key, mine);
    if (running != null) {
      CompiledClasses classes = await(running);
      memoryHits.increment();
      CompiledUnit unit = define(key, classes, CompiledUnit.Origin.MEMORY_CACHE, start);
      totalHitNanos.add(unit.nanos());
      return unit;
    }
    try {
      CompiledClasses classes = javac.compile(sources.get());
      cache.put(key, classes);
      mine.complete(classes);
      CompiledUnit unit = define(key, classes, CompiledUnit.Origin.COMPILED, start);
      compiles.increment();
      firstCompileNanos.compareAndSet(0, unit.nanos());
      totalCompileNanos.add(unit.nanos());
      return unit;
    } catch (RuntimeException | Error e) {
      failures.increment();
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.remove(key, mine);
    }
  }

  private static CompiledClasses await(CompletableFuture<CompiledClasses> running) {
    try {
      return running.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof CodegenException codegen) {
        throw codegen.rethrownHere();
      }
      throw e;
    }
  }

  private CompiledUnit define(
      CacheKey key, CompiledClasses classes, CompiledUnit.Origin origin, long start) {
    ModelClassLoader loader =
        new ModelClassLoader("kiln-model-" + key.hash().substring(0, 12), classes, parent);
    ImmutableMap.Builder<String, Class<?>> loaded = ImmutableMap.builder();
    for (String name : classes.names()) {
      try {
        loaded.put(name, Class.forName(name, false, loader));
      } catch (ClassNotFoundException | LinkageError e) {
        throw new CodegenException("internal error: the JVM rejected generated class " + name
            + " of " + key + " (" + origin + "): " + e, e);
      }
    }
    return new CompiledUnit(key, origin, loader, loaded.build(), System.nanoTime() - start);
  }

  public JitStats stats() {
    return new JitStats(compiles.sum(), memoryHits.sum(), diskHits.sum(), failures.sum(),
        firstCompileNanos.get(), totalCompileNanos.sum(), totalHitNanos.sum());
  }
}
