package dev.kiln.ir.type;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DTypeTest {
  @Test
  void integerLimitsAsLongBits() {
    assertEquals(-128, DType.I8.minValue());
    assertEquals(127, DType.I8.maxValue());
    assertEquals(0, DType.U8.minValue());
    assertEquals(255, DType.U8.maxValue());
    assertEquals(Integer.MIN_VALUE, DType.I32.minValue());
    assertEquals(0xffff_ffffL, DType.U32.maxValue());
    assertEquals(Long.MAX_VALUE, DType.I64.maxValue());
    assertEquals(-1L, DType.U64.maxValue(), "u64's largest value is all ones");
  }

  @Test
  void onlyIntegerTypesHaveLimits() {
    assertEquals("not an integer type: f32",
        assertThrows(IllegalStateException.class, DType.F32::minValue).getMessage());
    assertEquals("not an integer type: bool",
        assertThrows(IllegalStateException.class, DType.BOOL::maxValue).getMessage());
  }
}
