package dev.kiln.passes.lower.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** How many neighbouring outputs of an interior run one iteration of a clipped nest computes. */
class NchwcWindowOutputsPerIterationTest {
  @Test
  void runsOfTwoGroupsOrMoreTakeTheUnroll() {
    assertEquals(4, NchwcWindow.outputsPerIteration(8, 4));
    assertEquals(4, NchwcWindow.outputsPerIteration(13, 4));
    assertEquals(4, NchwcWindow.outputsPerIteration(14, 4));
    assertEquals(4, NchwcWindow.outputsPerIteration(16, 4));
    assertEquals(4, NchwcWindow.outputsPerIteration(28, 4));
    assertEquals(4, NchwcWindow.outputsPerIteration(56, 4));
    assertEquals(2, NchwcWindow.outputsPerIteration(7, 2));
  }

  @Test
  void narrowerRunsAreOneGroupOfTheirWholeWidth() {
    assertEquals(7, NchwcWindow.outputsPerIteration(7, 4));
    assertEquals(6, NchwcWindow.outputsPerIteration(6, 4));
    assertEquals(3, NchwcWindow.outputsPerIteration(3, 4));
    assertEquals(2, NchwcWindow.outputsPerIteration(2, 4));
    assertEquals(3, NchwcWindow.outputsPerIteration(3, 2));
  }

  @Test
  void oneOutputRunsAndNoUnrollStayOneAtATime() {
    assertEquals(1, NchwcWindow.outputsPerIteration(1, 4));
    assertEquals(1, NchwcWindow.outputsPerIteration(0, 4));
    assertEquals(1, NchwcWindow.outputsPerIteration(7, 1));
  }

  @Test
  void theSwitchOffKeepsOneOutputAtATime() {
    String before = System.getProperty("kiln.nchwc.wholeRow");
    try {
      System.setProperty("kiln.nchwc.wholeRow", "false");
      assertEquals(1, NchwcWindow.outputsPerIteration(7, 4));
      assertEquals(4, NchwcWindow.outputsPerIteration(8, 4));
      assertEquals(4, NchwcWindow.outputsPerIteration(14, 4));
    } finally {
      if (before == null) {
        System.clearProperty("kiln.nchwc.wholeRow");
      } else {
        System.setProperty("kiln.nchwc.wholeRow", before);
      }
    }
  }
}
