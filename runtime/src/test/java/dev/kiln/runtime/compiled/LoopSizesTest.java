package dev.kiln.runtime.compiled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class LoopSizesTest {
  private static RangeTask siteA() {
    return (lo, hi) -> { };
  }

  private static RangeTask siteB() {
    return (lo, hi) -> { };
  }

  @Test
  void oneEntryPerCallSiteKeyedByTheTasksClass() {
    assertSame(LoopSizes.of(siteA()), LoopSizes.of(siteA()));
    assertNotSame(LoopSizes.of(siteA()), LoopSizes.of(siteB()));
  }

  @Test
  void anEstimateStartsAtTheFirstMeasurementAndMovesAQuarterOfTheWay() {
    LoopSizes sizes = LoopSizes.of((lo, hi) -> { });
    assertEquals(LoopSizes.UNKNOWN, sizes.nanos(100));
    sizes.record(100, 4_000);
    assertEquals(4_000, sizes.nanos(100));
    sizes.record(100, 8_000);
    assertEquals(5_000, sizes.nanos(100));
    sizes.record(100, 1_000);
    assertEquals(4_000, sizes.nanos(100));
    assertEquals(LoopSizes.UNKNOWN, sizes.nanos(99), "extents are told apart");
    sizes.record(7, 0);
    assertEquals(0, sizes.nanos(7), "a loop measured at 0 ns is known, not unknown");
  }

  @Test
  void aSiteKeepsTheLastFourExtentsAndSaturatesHugeTimes() {
    LoopSizes sizes = LoopSizes.of((lo, hi) -> { });
    for (int extent = 1; extent <= 5; extent++) {
      sizes.record(extent, extent * 10L);
    }
    assertEquals(LoopSizes.UNKNOWN, sizes.nanos(1), "the oldest extent was dropped");
    for (int extent = 2; extent <= 5; extent++) {
      assertEquals(extent * 10L, sizes.nanos(extent));
    }
    sizes.record(6, Long.MAX_VALUE);
    assertEquals(0xFFFF_FFFFL, sizes.nanos(6));
    sizes.record(6, -5);
    assertEquals(0xFFFF_FFFFL - 0xFFFF_FFFFL / 4, sizes.nanos(6), "a negative time counts as 0");
  }
}
