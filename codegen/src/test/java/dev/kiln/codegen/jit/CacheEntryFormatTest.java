package dev.kiln.codegen.jit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CacheEntryFormatTest {
  static final CacheKey KEY = CacheKey.builder().part("ir", "kernel k { for i in 0..8 }").build();
  static final CompiledClasses CLASSES = CompiledClasses.of(Map.of(
      "gen.K", "first class file".getBytes(StandardCharsets.UTF_8),
      "gen.K$Inner", new byte[] {(byte) 0xCA, (byte) 0xFE, 0, 1}));

  @Test
  void roundTrips() throws Exception {
    CacheEntryFormat.Entry entry = CacheEntryFormat.decode(CacheEntryFormat.encode(KEY, CLASSES));
    assertEquals(KEY.text(), entry.keyText());
    assertTrue(entry.classes().sameAs(CLASSES));
    assertArrayEquals(new byte[] {(byte) 0xCA, (byte) 0xFE, 0, 1}, entry.classes().bytes("gen.K$Inner").orElseThrow());
  }

  @Test
  void everySingleFlippedByteIsDetected() {
    byte[] good = CacheEntryFormat.encode(KEY, CLASSES);
    for (int i = 0; i < good.length; i++) {
      byte[] bad = good.clone();
      bad[i] ^= 0x10;
      int at = i;
      assertThrows(CacheEntryFormat.CorruptEntryException.class, () -> CacheEntryFormat.decode(bad),
          () -> "flipping byte " + at + " went unnoticed");
    }
  }

  @Test
  void everyTruncationAndAnExtensionAreDetected() {
    byte[] good = CacheEntryFormat.encode(KEY, CLASSES);
    for (int length = 0; length < good.length; length++) {
      byte[] bad = Arrays.copyOf(good, length);
      int at = length;
      assertThrows(CacheEntryFormat.CorruptEntryException.class, () -> CacheEntryFormat.decode(bad),
          () -> "truncating to " + at + " bytes went unnoticed");
    }
    assertThrows(CacheEntryFormat.CorruptEntryException.class,
        () -> CacheEntryFormat.decode(Arrays.copyOf(good, good.length + 1)));
  }

  @Test
  void reasonsNameTheProblem() {
    byte[] good = CacheEntryFormat.encode(KEY, CLASSES);
    assertEquals("truncated: 3 bytes, shorter than the header", reason(Arrays.copyOf(good, 3)));
    assertEquals("not a Kiln kernel cache entry (bad magic)",
        reason("this is some other file, certainly not a cache entry".getBytes(StandardCharsets.UTF_8)));
    byte[] newer = good.clone();
    newer[11] = 9;
    assertEquals("format version 9, this Kiln reads version 1", reason(newer));
    byte[] flipped = good.clone();
    flipped[good.length - 1] ^= 1;
    assertEquals("checksum mismatch", reason(flipped));
    assertTrue(reason(Arrays.copyOf(good, good.length - 1)).startsWith("header says "));
  }

  private static String reason(byte[] file) {
    return assertThrows(CacheEntryFormat.CorruptEntryException.class, () -> CacheEntryFormat.decode(file))
        .getMessage();
  }
}
