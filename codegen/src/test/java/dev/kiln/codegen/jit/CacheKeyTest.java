package dev.kiln.codegen.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class CacheKeyTest {
  @Test
  void theBuilderAddsTheCodegenAndJdkVersions() {
    CacheKey key = CacheKey.builder().part("ir", "loop {}").build();
    assertEquals(List.of("codegen", "ir", "jdk"), List.copyOf(key.parts().keySet()));
    assertEquals(CodegenVersion.CURRENT, key.parts().get("codegen"));
    assertEquals(Runtime.version().toString(), key.parts().get("jdk"));
  }

  @Test
  void anotherCodegenOrJdkVersionGivesAnotherKey() {
    CacheKey here = CacheKey.builder("g1", "25").part("ir", "x").build();
    assertEquals(here, CacheKey.builder("g1", "25").part("ir", "x").build());
    assertNotEquals(here.hash(), CacheKey.builder("g2", "25").part("ir", "x").build().hash());
    assertNotEquals(here.hash(), CacheKey.builder("g1", "26").part("ir", "x").build().hash());
  }

  @Test
  void textIsSortedByNameAndLengthPrefixed() {
    CacheKey key = CacheKey.builder("g1", "25.0.1").part("vector.lanes", 8).part("ir", "a\nb").build();
    assertEquals("codegen 2 g1\nir 3 a\nb\njdk 6 25.0.1\nvector.lanes 1 8\n", key.text());
    assertEquals(key, CacheKey.builder("g1", "25.0.1").part("ir", "a\nb").part("vector.lanes", "8").build());
    assertEquals(64, key.hash().length());
    assertEquals(CacheKey.sha256Hex(key.text()), key.hash());
  }

  @Test
  void valuesThatLookLikePartsDoNotCollide() {
    // Without the length prefix both would print "a x\nb y\n".
    CacheKey two = CacheKey.builder("g", "j").part("a", "x").part("b", "y").build();
    CacheKey one = CacheKey.builder("g", "j").part("a", "x\nb y").build();
    assertNotEquals(two.text(), one.text());
    assertNotEquals(two.hash(), one.hash());
  }

  @Test
  void rejectsDuplicateAndMalformedNames() {
    CacheKey.Builder builder = CacheKey.builder().part("ir", "x");
    assertEquals("cache key part 'ir' is already set",
        assertThrows(IllegalArgumentException.class, () -> builder.part("ir", "y")).getMessage());
    assertEquals("cache key part 'jdk' is already set (the builder adds it itself)",
        assertThrows(IllegalArgumentException.class, () -> builder.part("jdk", "17")).getMessage());
    assertEquals("cache key part name 'Vector Lanes' must be lowercase letters, digits, '_', '.' or"
            + " '-', starting with a letter",
        assertThrows(IllegalArgumentException.class, () -> builder.part("Vector Lanes", 8)).getMessage());
  }
}
