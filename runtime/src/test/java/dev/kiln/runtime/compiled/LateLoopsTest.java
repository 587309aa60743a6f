package dev.kiln.runtime.compiled;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LateLoopsTest {
  @Test
  void isolatedLateLoopsNeverStopTheSpinning() {
    LateLoops rule = new LateLoops(3);
    for (int i = 0; i < 100; i++) {
      // One late loop in every 5: at most 2 in any 8.
      assertFalse(rule.found(i % 5 == 0), "loop " + i);
    }
  }

  @Test
  void thirdLateLoopWithinEightStopsItAndStartsOver() {
    LateLoops rule = new LateLoops(3);
    assertFalse(rule.found(true));
    assertFalse(rule.found(false));
    assertFalse(rule.found(true));
    assertFalse(rule.found(false));
    assertTrue(rule.found(true));
    // Forgotten once it fired: two more late loops are not enough.
    assertFalse(rule.found(true));
    assertFalse(rule.found(true));
    assertTrue(rule.found(true));
  }

  @Test
  void lateLoopsOlderThanEightAreForgotten() {
    LateLoops rule = new LateLoops(3);
    rule.found(true);
    rule.found(true);
    for (int i = 0; i < 6; i++) {
      rule.found(false);
    }
    // The first of the two has left the window of 8: two late loops in it.
    assertFalse(rule.found(true));
  }

  @Test
  void thresholdOneIsTheOldRule() {
    LateLoops rule = new LateLoops(1);
    assertFalse(rule.found(false));
    assertTrue(rule.found(true));
    assertTrue(rule.found(true));
  }
}
