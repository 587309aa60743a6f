package dev.kiln.runtime.compiled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class HeapAddressesTest {
  @Test
  void anArraysFirstElementIsAnAlignedAddressDistinctPerArray() {
    float[] a = new float[64];
    float[] b = new float[64];
    long x = HeapAddresses.firstElement(a);
    Assumptions.assumeTrue(x >= 0, "no native access in this JVM");
    long y = HeapAddresses.firstElement(b);
    assertTrue(x > 0 && y > 0);
    assertEquals(0, x % Float.BYTES);
    assertNotEquals(x, y);
    // Two arrays allocated one after the other from the same thread's buffer lie at least a
    // whole array apart.
    assertTrue(Math.abs(x - y) >= 64L * Float.BYTES, x + " " + y);
  }

  @Test
  void anEmptyArrayHasNoAddress() {
    assertEquals(-1, HeapAddresses.firstElement(new float[0]));
  }
}
