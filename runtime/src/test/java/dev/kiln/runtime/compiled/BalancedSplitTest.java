package dev.kiln.runtime.compiled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BalancedSplitTest {
  @Test
  void partsCoverEveryIndexOnceInWholeStepsWithinOneStepOfEachOther() {
    for (int total : new int[] {0, 1, 5, 6, 7, 49, 196, 3136, 12544}) {
      for (int step : new int[] {1, 6, 8, 12, 14}) {
        for (int parts = 1; parts <= 13; parts++) {
          int[] seen = new int[total];
          int least = Integer.MAX_VALUE;
          int most = 0;
          assertEquals(0, BalancedSplit.bound(total, step, parts, 0));
          assertEquals(total, BalancedSplit.bound(total, step, parts, parts));
          for (int k = 0; k < parts; k++) {
            int lo = BalancedSplit.bound(total, step, parts, k);
            int hi = BalancedSplit.bound(total, step, parts, k + 1);
            assertTrue(lo <= hi, "ranges in order");
            assertTrue(lo % step == 0 || lo == total, "a range starts on a whole step");
            for (int i = lo; i < hi; i++) {
              seen[i]++;
            }
            // Steps in this range (the last, partial step counts as one).
            int steps = (hi - lo + step - 1) / step;
            least = Math.min(least, steps);
            most = Math.max(most, steps);
          }
          for (int i = 0; i < total; i++) {
            assertEquals(1, seen[i], "index " + i + " of " + total + " step " + step + " parts " + parts);
          }
          assertTrue(most - least <= 1, "parts within one step: " + total + "/" + step + "/" + parts);
        }
      }
    }
  }

  @Test
  void onTwoThreadsAPlaneOf49InStepsOf6SplitsAs24And25() {
    assertEquals(24, BalancedSplit.bound(49, 6, 2, 1));
  }

  @Test
  void partsAreTheSerialCountRoundedUpToAMultipleOfTheThreads() {
    assertEquals(3, BalancedSplit.parts(3, 1));
    assertEquals(4, BalancedSplit.parts(3, 2));
    assertEquals(3, BalancedSplit.parts(3, 3));
    assertEquals(8, BalancedSplit.parts(8, 2));
    assertEquals(9, BalancedSplit.parts(8, 3));
    assertEquals(2, BalancedSplit.parts(0, 2));
    assertEquals(1, BalancedSplit.parts(1, 0));
  }
}
