package dev.kiln.passes.lower.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The row bands of the depthwise split by rows ({@link NchwcWindow#clippedRowsByRow}). */
class NchwcWindowTest {
  @Test
  void bandsAreEqualAndAtLeastEightWhenTheRowsAllow() {
    // MobileNetV2's interiors: 110 (112² stride 1), 55 (stride 2 to 56²), 54, 26, 12, 5 rows.
    assertEquals(11, NchwcWindow.bandRows(110));
    assertEquals(5, NchwcWindow.bandRows(55));
    assertEquals(6, NchwcWindow.bandRows(54));
    assertEquals(2, NchwcWindow.bandRows(26));
    assertEquals(1, NchwcWindow.bandRows(12));
    assertEquals(1, NchwcWindow.bandRows(5));
    assertEquals(1, NchwcWindow.bandRows(53));
    for (long h = 1; h <= 300; h++) {
      long rows = NchwcWindow.bandRows(h);
      assertEquals(0, h % rows, "height " + h);
      assertTrue(h / rows >= Math.min(8, h), "height " + h + ": " + h / rows + " bands");
    }
  }
}
