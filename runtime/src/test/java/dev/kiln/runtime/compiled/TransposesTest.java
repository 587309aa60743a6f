package dev.kiln.runtime.compiled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TransposesTest {
  /** Every block shape from 1 x 1 to 16 x 16, at odd offsets and steps, against the scalar copy. */
  @Test
  void everyBlockShapeIsTheScalarTransposeAndWritesNothingElse() {
    for (int rows = 1; rows <= 16; rows++) {
      for (int cols = 1; cols <= 16; cols++) {
        check(rows, cols, 3, 21, 5, 19);
      }
    }
  }

  /** Rows of the source overlap rows of the block's columns when the step is the row length. */
  @Test
  void stepsOfTheBlockItselfAndLargeSteps() {
    check(16, 16, 0, 16, 0, 16);
    check(16, 16, 7, 3136, 11, 896);
    check(5, 16, 1, 56, 2, 16);
  }

  /** Source and destination end exactly at the block's last element: masked lanes read and write nothing. */
  @Test
  void partialBlocksAtTheVeryEndOfTheirArraysStayInBounds() {
    for (int rows = 1; rows <= 16; rows++) {
      for (int cols = 1; cols <= 16; cols++) {
        int srcStep = 17;
        int dstStep = 18;
        float[] src = new float[(rows - 1) * srcStep + cols];
        float[] dst = new float[(cols - 1) * dstStep + rows];
        for (int i = 0; i < src.length; i++) {
          src[i] = i + 1;
        }
        Transposes.transpose16(src, 0, srcStep, dst, 0, dstStep, rows, cols);
        for (int r = 0; r < rows; r++) {
          for (int c = 0; c < cols; c++) {
            assertEquals(src[r * srcStep + c], dst[c * dstStep + r], rows + " x " + cols + " at " + r + ", " + c);
          }
        }
      }
    }
  }

  @Test
  void aBlockOutsideOneToSixteenIsRefused() {
    float[] a = new float[512];
    assertThrows(IllegalArgumentException.class, () -> Transposes.transpose16(a, 0, 16, a, 256, 16, 0, 4));
    assertThrows(IllegalArgumentException.class, () -> Transposes.transpose16(a, 0, 16, a, 256, 16, 4, 17));
  }

  private static void check(int rows, int cols, int s, int srcStep, int d, int dstStep) {
    float[] src = new float[s + 16 * srcStep + 16];
    for (int i = 0; i < src.length; i++) {
      src[i] = 1000 + i;
    }
    float[] dst = new float[d + 16 * dstStep + 16];
    java.util.Arrays.fill(dst, -1);
    float[] want = dst.clone();
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        want[d + c * dstStep + r] = src[s + r * srcStep + c];
      }
    }
    // Run it often enough for C2 to compile it, so the intrinsic path is what is checked too.
    for (int rep = 0; rep < (rows == 16 && cols == 16 ? 20_000 : 50); rep++) {
      Transposes.transpose16(src, s, srcStep, dst, d, dstStep, rows, cols);
    }
    for (int i = 0; i < dst.length; i++) {
      assertEquals(want[i], dst[i], rows + " x " + cols + ": element " + i);
    }
  }
}
