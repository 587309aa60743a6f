package dev.kiln.codegen.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelCacheTest {
  @TempDir Path dir;

  private static CacheKey key(String ir) {
    return CacheKey.builder().part("ir", ir).build();
  }

  private static CompiledClasses classes(String marker) {
    return CompiledClasses.of(Map.of("gen.K", marker.getBytes(StandardCharsets.UTF_8)));
  }

  private static String marker(Optional<KernelCache.Hit> hit) {
    return new String(hit.orElseThrow().classes().bytes("gen.K").orElseThrow(), StandardCharsets.UTF_8);
  }

  private static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.sorted().toList();
    }
  }

  @Test
  void missThenMemoryHit() {
    KernelCache cache = KernelCache.inMemory(4);
    assertTrue(cache.get(key("a")).isEmpty());
    cache.put(key("a"), classes("A"));
    assertEquals(KernelCache.Tier.MEMORY, cache.get(key("a")).orElseThrow().tier());
    assertEquals("A", marker(cache.get(key("a"))));
    assertTrue(cache.get(key("b")).isEmpty());
  }

  @Test
  void memoryEvictsTheLeastRecentlyUsedEntry() {
    KernelCache cache = KernelCache.inMemory(2);
    cache.put(key("1"), classes("1"));
    cache.put(key("2"), classes("2"));
    cache.get(key("1"));
    cache.put(key("3"), classes("3"));
    assertEquals(2, cache.memoryEntries());
    assertTrue(cache.get(key("2")).isEmpty(), "2 was the least recently used");
    assertEquals("1", marker(cache.get(key("1"))));
    assertEquals("3", marker(cache.get(key("3"))));
  }

  @Test
  void sizeZeroCachesNothingInMemory() {
    KernelCache cache = KernelCache.inMemory(0);
    cache.put(key("1"), classes("1"));
    assertTrue(cache.get(key("1")).isEmpty());
  }

  @Test
  void diskEntrySurvivesTheProcessMemoryAndIsPromoted() throws IOException {
    KernelCache.withDisk(4, dir).put(key("a"), classes("A"));
    assertEquals(List.of(dir.resolve(key("a").hash() + ".kernel")), files(dir), "no temp file left");

    KernelCache fresh = KernelCache.withDisk(4, dir);
    assertEquals(KernelCache.Tier.DISK, fresh.get(key("a")).orElseThrow().tier());
    assertEquals(KernelCache.Tier.MEMORY, fresh.get(key("a")).orElseThrow().tier());
    assertEquals("A", marker(fresh.get(key("a"))));
    assertTrue(fresh.get(key("b")).isEmpty());
  }

  @Test
  void evictedFromMemoryStillHitsOnDisk() {
    KernelCache cache = KernelCache.withDisk(1, dir);
    cache.put(key("1"), classes("1"));
    cache.put(key("2"), classes("2"));
    assertEquals(KernelCache.Tier.DISK, cache.get(key("1")).orElseThrow().tier());
  }

  @Test
  void corruptEntryIsWarnedAboutDeletedAndRewritten() throws IOException {
    KernelCache.withDisk(4, dir).put(key("a"), classes("A"));
    Path entry = dir.resolve(key("a").hash() + ".kernel");
    byte[] bytes = Files.readAllBytes(entry);
    bytes[bytes.length - 1] ^= 0x01;
    Files.write(entry, bytes);

    KernelCache fresh = KernelCache.withDisk(4, dir);
    try (LogCapture log = new LogCapture(KernelCache.class)) {
      assertTrue(fresh.get(key("a")).isEmpty());
      assertEquals(List.of("kernel cache: ignoring bad entry " + entry + ": checksum mismatch; recompiling"),
          log.warnings());
    }
    assertFalse(Files.exists(entry));
    fresh.put(key("a"), classes("A"));
    assertEquals("A", marker(KernelCache.withDisk(4, dir).get(key("a"))));
  }

  @Test
  void truncatedEntryIsAMiss() throws IOException {
    KernelCache.withDisk(4, dir).put(key("a"), classes("A"));
    Path entry = dir.resolve(key("a").hash() + ".kernel");
    byte[] bytes = Files.readAllBytes(entry);
    Files.write(entry, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    try (LogCapture log = new LogCapture(KernelCache.class)) {
      assertTrue(KernelCache.withDisk(4, dir).get(key("a")).isEmpty());
      assertEquals(1, log.warnings().size());
      assertTrue(log.warnings().get(0).contains(": header says "), log.warnings().get(0));
    }
    assertFalse(Files.exists(entry));
  }

  @Test
  void garbageFileIsAMiss() throws IOException {
    Path entry = dir.resolve(key("a").hash() + ".kernel");
    Files.writeString(entry, "#!/bin/sh\necho I am not a kernel cache entry, but long enough to have a header\n");
    try (LogCapture log = new LogCapture(KernelCache.class)) {
      assertTrue(KernelCache.withDisk(4, dir).get(key("a")).isEmpty());
      assertEquals(List.of("kernel cache: ignoring bad entry " + entry
          + ": not a Kiln kernel cache entry (bad magic); recompiling"), log.warnings());
    }
  }

  @Test
  void entryOfAnotherKeyUnderThisKeysNameIsAMiss() throws IOException {
    KernelCache.withDisk(4, dir).put(key("other"), classes("O"));
    Path entry = dir.resolve(key("a").hash() + ".kernel");
    Files.move(dir.resolve(key("other").hash() + ".kernel"), entry);
    try (LogCapture log = new LogCapture(KernelCache.class)) {
      assertTrue(KernelCache.withDisk(4, dir).get(key("a")).isEmpty());
      assertEquals(List.of("kernel cache: ignoring bad entry " + entry
          + ": it holds a different key than its name says; recompiling"), log.warnings());
    }
  }

  @Test
  void directoryThatCannotBeCreatedLeavesAMemoryCache() throws IOException {
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    try (LogCapture log = new LogCapture(KernelCache.class)) {
      KernelCache cache = KernelCache.withDisk(4, file.resolve("cache"));
      assertEquals(1, log.warnings().size());
      assertTrue(log.warnings().get(0).startsWith("kernel cache: cannot use directory "
          + file.resolve("cache")), log.warnings().get(0));
      assertTrue(log.warnings().get(0).endsWith("; compiled kernels will only be cached in memory"));
      assertTrue(cache.directory().isEmpty());
      cache.put(key("a"), classes("A"));
      assertEquals(KernelCache.Tier.MEMORY, cache.get(key("a")).orElseThrow().tier());
    }
  }

  @Test
  void failedWriteIsWarnedAboutOnceAndWritingStops() throws IOException {
    Path cacheDir = dir.resolve("cache");
    KernelCache cache = KernelCache.withDisk(4, cacheDir);
    Files.delete(cacheDir);  // now every write fails, whoever runs the test (root included)
    try (LogCapture log = new LogCapture(KernelCache.class)) {
      cache.put(key("a"), classes("A"));
      cache.put(key("b"), classes("B"));
      assertEquals(1, log.warnings().size(), log.warnings().toString());
      assertTrue(log.warnings().get(0).startsWith("kernel cache: cannot write to " + cacheDir));
      assertTrue(log.warnings().get(0).endsWith(
          "; compiled kernels will not be saved to disk for the rest of this run"));
    }
    assertEquals("B", marker(cache.get(key("b"))), "the memory tier still works");
  }

  @Test
  void staleTempFilesOfDeadWritersAreCleanedUp() throws IOException {
    Path stale = Files.writeString(dir.resolve("abc.123.tmp"), "half an entry");
    Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    Path recent = Files.writeString(dir.resolve("abc.456.tmp"), "being written right now");
    KernelCache.withDisk(4, dir);
    assertFalse(Files.exists(stale));
    assertTrue(Files.exists(recent), "a temp file of a live writer must stay");
  }

  @Test
  void threadsStoringAndLoadingOneKeyAtOnceLeaveOneValidEntry() throws Exception {
    int threads = 6;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(pool.submit(() -> {
          KernelCache own = KernelCache.withDisk(4, dir);  // like separate processes: no shared memory
          start.await();
          for (int i = 0; i < 20; i++) {
            own.put(key("a"), classes("A"));
            own.clearMemory();
            Optional<KernelCache.Hit> hit = own.get(key("a"));
            // Renames are atomic, so a reader sees a whole entry or none, never a partial one.
            hit.ifPresent(h -> assertEquals("A", marker(Optional.of(h))));
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(dir.resolve(key("a").hash() + ".kernel")), files(dir));
    assertEquals("A", marker(KernelCache.withDisk(4, dir).get(key("a"))));
  }
}
