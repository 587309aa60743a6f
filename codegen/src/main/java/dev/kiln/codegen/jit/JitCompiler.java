package dev.kiln.codegen.jit;

import com.google.common.collect.ImmutableMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
    Optional<CompiledUnit> cached = fromCache(key, expectedClasses, start, true);
    if (cached.isPresent()) {
      return cached.get();
    }
    CompletableFuture<CompiledClasses> mine = new CompletableFuture<>();
    CompletableFuture<CompiledClasses> running = inFlight.putIfAbsent(key, mine);
    if (running != null) {
      CompiledClasses classes = await(running);
      CompiledUnit unit = define(key, classes, CompiledUnit.Origin.MEMORY_CACHE, start);
      memoryHits.increment();
      totalHitNanos.add(unit.nanos());
      return unit;
    }
    try {
      // Another thread may have finished this key between the first look and taking the slot.
      // (A bad entry was warned about on the first look.)
      cached = fromCache(key, expectedClasses, start, false);
      if (cached.isPresent()) {
        mine.complete(cached.get().loader().classes());
        return cached.get();
      }
      CompiledClasses classes = javac.compile(sources.get());
      CompiledUnit unit = define(key, classes, CompiledUnit.Origin.COMPILED, start);
      // Cached only once they are known to load. The unit's time covers javac and class loading,
      // not the store (whose fsync depends on the disk, not on the code).
      cache.put(key, classes);
      mine.complete(classes);
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

  /**
   * The unit from a cached entry, if there is one that holds the expected classes and loads.
   *
   * @param warn whether to log why an entry is unusable
   */
  private Optional<CompiledUnit> fromCache(
      CacheKey key, Map<String, String> expectedClasses, long start, boolean warn) {
    Optional<KernelCache.Hit> hit = cache.get(key);
    if (hit.isEmpty()) {
      return Optional.empty();
    }
    CompiledClasses classes = hit.get().classes();
    if (expectedClasses != null && !classes.names().containsAll(expectedClasses.keySet())) {
      if (warn) {
        LOG.log(System.Logger.Level.WARNING, "kernel cache: entry " + key + " holds "
            + classes.names() + ", not " + expectedClasses.keySet() + "; recompiling");
      }
      return Optional.empty();
    }
    CompiledUnit.Origin origin = hit.get().tier() == KernelCache.Tier.MEMORY
        ? CompiledUnit.Origin.MEMORY_CACHE : CompiledUnit.Origin.DISK_CACHE;
    try {
      CompiledUnit unit = define(key, classes, origin, start);
      (origin == CompiledUnit.Origin.MEMORY_CACHE ? memoryHits : diskHits).increment();
      totalHitNanos.add(unit.nanos());
      return Optional.of(unit);
    } catch (CodegenException e) {
      // A cached entry is only an optimization: if its classes do not load, compile afresh
      // (which overwrites the entry), and fail only if freshly compiled classes do not load.
      if (warn) {
        LOG.log(System.Logger.Level.WARNING, "kernel cache: entry " + key + " cannot be loaded ("
            + e.getMessage().lines().findFirst().orElse("") + "); recompiling");
      }
      return Optional.empty();
    }
  }

  /** The classes another thread compiled for the same key, or its failure, rethrown here. */
  private static CompiledClasses await(CompletableFuture<CompiledClasses> running) {
    try {
      return running.join();
    } catch (CompletionException e) {
      switch (e.getCause()) {
        case CodegenException codegen -> throw codegen.rethrownHere();
        case RuntimeException other -> throw other;
        case Error error -> throw error;
        case null, default -> throw e;
      }
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
