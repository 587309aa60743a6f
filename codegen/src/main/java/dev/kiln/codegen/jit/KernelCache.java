package dev.kiln.codegen.jit;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Compiled units by {@link CacheKey}: in this process's memory (least recently used entries evicted
 * beyond a fixed count) and, optionally, in a directory on disk shared by processes (see
 * {@link DiskCache} for how it stays consistent and survives damage).
 *
 * <p>It stores class files, never loaded classes, so the cache does not keep any model's classes
 * alive. Thread-safe.
 *
 * <p>The directory must be trusted: its entries become code running in this process, and the
 * checksum guards against damage, not against someone who may write there. Entries are created
 * readable by their owner only.
 */
public final class KernelCache {
  /** Where a hit came from. */
  public enum Tier { MEMORY, DISK }

  /** Classes found in the cache, and where. */
  public record Hit(CompiledClasses classes, Tier tier) {}

  private record MemoryEntry(String keyText, CompiledClasses classes) {}

  private final int maxMemoryEntries;
  private final Optional<DiskCache> disk;
  /** Access-ordered, so iteration starts at the least recently used entry. Guarded by itself. */
  private final LinkedHashMap<String, MemoryEntry> memory;

  private KernelCache(int maxMemoryEntries, Optional<DiskCache> disk) {
    if (maxMemoryEntries < 0) {
      throw new IllegalArgumentException(
          "the in-memory kernel cache size must be >= 0, got " + maxMemoryEntries);
    }
    this.maxMemoryEntries = maxMemoryEntries;
    this.disk = disk;
    this.memory = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, MemoryEntry> eldest) {
        return size() > KernelCache.this.maxMemoryEntries;
      }
    };
  }

  /** A cache in memory only, holding at most {@code maxEntries} units (0: no caching at all). */
  public static KernelCache inMemory(int maxEntries) {
    return new KernelCache(maxEntries, Optional.empty());
  }

  /**
   * A cache in memory backed by {@code directory}, created if needed. A directory that cannot be
   * created or written is warned about once and the cache carries on in memory.
   */
  public static KernelCache withDisk(int maxMemoryEntries, Path directory) {
    return new KernelCache(maxMemoryEntries, Optional.of(new DiskCache(directory)));
  }

  /**
   * The conventional per-user directory: {@code $XDG_CACHE_HOME/kiln/kernels}, else
   * {@code ~/.cache/kiln/kernels}.
   */
  public static Path defaultDirectory() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank()
        ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("kiln").resolve("kernels");
  }

  /** The classes of {@code key}, from memory, else from disk (then kept in memory too). */
  public Optional<Hit> get(CacheKey key) {
    synchronized (memory) {
      MemoryEntry entry = memory.get(key.hash());
      if (entry != null && entry.keyText().equals(key.text())) {
        return Optional.of(new Hit(entry.classes(), Tier.MEMORY));
      }
    }
    if (disk.isEmpty()) {
      return Optional.empty();
    }
    Optional<CompiledClasses> loaded = disk.get().load(key);
    loaded.ifPresent(classes -> putInMemory(key, classes));
    return loaded.map(classes -> new Hit(classes, Tier.DISK));
  }

  /** Stores {@code classes} under {@code key} in memory and on disk. */
  public void put(CacheKey key, CompiledClasses classes) {
    putInMemory(key, classes);
    disk.ifPresent(d -> d.store(key, classes));
  }

  /** Units held in memory now. */
  public int memoryEntries() {
    synchronized (memory) {
      return memory.size();
    }
  }

  public int maxMemoryEntries() {
    return maxMemoryEntries;
  }

  /** The directory, if this cache has a usable one. */
  public Optional<Path> directory() {
    return disk.filter(DiskCache::usable).map(DiskCache::directory);
  }

  /** The file the entry of {@code key} is (or would be) stored in, if this cache has a disk tier. */
  public Optional<Path> entryPath(CacheKey key) {
    return disk.filter(DiskCache::usable).map(d -> d.entryPath(key));
  }

  /** Drops every entry held in memory; the disk is left alone. */
  public void clearMemory() {
    synchronized (memory) {
      memory.clear();
    }
  }

  private void putInMemory(CacheKey key, CompiledClasses classes) {
    if (maxMemoryEntries == 0) {
      return;
    }
    synchronized (memory) {
      memory.put(key.hash(), new MemoryEntry(key.text(), classes));
    }
  }
}
