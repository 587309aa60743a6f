package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LatencyStatsTest {
  @Test
  void medianOfAnOddCountIsTheMiddleSampleWhateverTheOrder() {
    LatencyStats s = LatencyStats.of(new long[] {50, 10, 40, 20, 30});
    assertEquals(30, s.medianNanos());
    assertEquals(5, s.runs());
  }

  @Test
  void medianOfAnEvenCountIsTheMeanOfTheTwoMiddleSamples() {
    assertEquals(25, LatencyStats.of(new long[] {40, 10, 30, 20}).medianNanos());
  }

  @Test
  void percentilesInterpolateBetweenRanksAsNumPy() {
    // numpy.percentile(range(1, 12), [10, 90]) == [2, 10]; for 1..10: [1.9, 9.1]
    LatencyStats eleven = LatencyStats.of(new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    assertEquals(2, eleven.p10Nanos(), 1e-9);
    assertEquals(10, eleven.p90Nanos(), 1e-9);
    LatencyStats ten = LatencyStats.of(new long[] {10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
    assertEquals(1.9, ten.p10Nanos(), 1e-9);
    assertEquals(9.1, ten.p90Nanos(), 1e-9);
    assertEquals(5.5, ten.medianNanos(), 1e-9);
  }

  @Test
  void oneSampleIsEveryStatistic() {
    LatencyStats s = LatencyStats.of(new long[] {2_500_000});
    assertEquals(2.5, s.medianMillis());
    assertEquals(2.5, s.p10Millis());
    assertEquals(2.5, s.p90Millis());
  }

  @Test
  void theSamplesAreNotReordered() {
    long[] samples = {3, 1, 2};
    LatencyStats.of(samples);
    assertEquals(3, samples[0]);
  }

  @Test
  void noSamplesIsAnError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LatencyStats.of(new long[0]));
    assertEquals("no timed runs", e.getMessage());
  }
}
