package dev.kiln.codegen.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The disk cache's size limit: least recently used entries go first. */
class DiskCacheTest {
  @TempDir Path dir;

  private static CacheKey key(String ir) {
    return CacheKey.builder().part("ir", ir).build();
  }

  private static CompiledClasses classes(String marker) {
    return CompiledClasses.of(Map.of("gen.K", marker.repeat(1000).getBytes(StandardCharsets.UTF_8)));
  }

  private Set<String> kept(String... names) {
    Set<String> present = entries();
    return Stream.of(names).filter(n -> present.contains(key(n).hash() + DiskCache.ENTRY_SUFFIX))
        .collect(Collectors.toSet());
  }

  private Set<String> entries() {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private void age(String name, long secondsAgo) throws IOException {
    Files.setLastModifiedTime(dir.resolve(key(name).hash() + DiskCache.ENTRY_SUFFIX),
        FileTime.from(Instant.now().minusSeconds(secondsAgo)));
  }

  @Test
  void aStorePastTheLimitDropsTheLeastRecentlyUsedEntries() throws IOException {
    DiskCache probe = new DiskCache(dir);
    probe.store(key("size"), classes("x"));
    long entryBytes = Files.size(probe.entryPath(key("size")));
    Files.delete(probe.entryPath(key("size")));

    DiskCache cache = new DiskCache(dir, entryBytes * 7 / 2); // room for three and a half
    for (String name : new String[] {"a", "b", "c"}) {
      cache.store(key(name), classes("x"));
    }
    assertEquals(Set.of("a", "b", "c"), kept("a", "b", "c"));
    age("a", 30);
    age("b", 20);
    age("c", 10);
    assertTrue(cache.load(key("a")).isPresent()); // a hit makes a the most recently used
    cache.store(key("d"), classes("x"));
    // Four entries pass 3.5; trimming goes down to three quarters of the limit (2.6 entries):
    // b, then c, the least recently used.
    assertEquals(Set.of("a", "d"), kept("a", "b", "c", "d"));
  }

  @Test
  void openingACacheOverItsLimitTrimsIt() throws IOException {
    DiskCache unlimited = new DiskCache(dir);
    unlimited.store(key("a"), classes("x"));
    unlimited.store(key("b"), classes("x"));
    long entryBytes = Files.size(unlimited.entryPath(key("a")));
    age("a", 20);
    age("b", 10);
    new DiskCache(dir, entryBytes * 3 / 2);
    assertEquals(Set.of("b"), kept("a", "b"));
  }

  @Test
  void aLimitMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> new DiskCache(dir, 0));
  }
}
