package dev.kiln.ir.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import org.junit.jupiter.api.Test;

class TensorTest {
  @Test
  void storesLittleEndianAndReadsBack() {
    Tensor t = Tensor.ofFloats(new long[] {2, 2}, 1f, -2.5f, 3f, 0f);
    assertEquals(TensorType.of(DType.F32, 2, 2), t.type());
    assertArrayEquals(new double[] {1, -2.5, 3, 0}, t.toDoubleArray());
    // 1.0f is 0x3f800000, stored low byte first.
    assertEquals(0x3f, t.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 3));
    assertEquals(16, t.byteSize());
  }

  @Test
  void castsLikeOnnxWhenStoring() {
    assertArrayEquals(new long[] {2, -2, 0}, Tensor.ofDoubles(DType.I32, new long[] {3}, 2.9, -2.9, 0.4).toLongArray());
    assertArrayEquals(new long[] {1, 0, 1}, Tensor.ofDoubles(DType.BOOL, new long[] {3}, 0.5, 0.0, -3).toLongArray());
    assertEquals(255, Tensor.ofLongs(DType.U8, new long[] {1}, 255).getLong(0));
    assertEquals(-1, Tensor.ofLongs(DType.I8, new long[] {1}, 255).getLong(0));
    assertEquals(4294967295.0, Tensor.ofLongs(DType.U32, new long[] {1}, -1).getDouble(0));
    assertEquals(18446744073709551615.0, Tensor.ofLongs(DType.U64, new long[] {1}, -1).getDouble(0));
  }

  @Test
  void roundsHalfPrecisionToNearestEven() {
    // 1 + 2^-11 lies halfway between f16 neighbours 1 and 1 + 2^-10: ties go to the even one (1).
    assertEquals(1.0, Tensor.ofDoubles(DType.F16, new long[] {1}, 1 + Math.pow(2, -11)).getDouble(0));
    assertEquals(1 + Math.pow(2, -10),
        Tensor.ofDoubles(DType.F16, new long[] {1}, 1 + 1.5 * Math.pow(2, -11)).getDouble(0));
    // bf16 keeps 8 mantissa bits: 1 + 2^-8 is a tie, rounds to 1; 1 + 3*2^-9 rounds up to 1 + 2^-7.
    assertEquals(1.0, Tensor.ofDoubles(DType.BF16, new long[] {1}, 1 + Math.pow(2, -8)).getDouble(0));
    assertEquals(1 + Math.pow(2, -7),
        Tensor.ofDoubles(DType.BF16, new long[] {1}, 1 + 3 * Math.pow(2, -9)).getDouble(0));
    assertTrue(Double.isNaN(Tensor.ofDoubles(DType.BF16, new long[] {1}, Double.NaN).getDouble(0)));
    assertEquals(Double.POSITIVE_INFINITY, Tensor.ofDoubles(DType.F16, new long[] {1}, 1e6).getDouble(0));
  }

  @Test
  void equalityIsByDtypeShapeAndBytes() {
    Tensor a = Tensor.ofFloats(new long[] {2}, 1f, 2f);
    assertEquals(a, Tensor.ofFloats(new long[] {2}, 1f, 2f));
    assertEquals(a.hashCode(), Tensor.ofFloats(new long[] {2}, 1f, 2f).hashCode());
    assertNotEquals(a, Tensor.ofFloats(new long[] {1, 2}, 1f, 2f));
    assertNotEquals(a, Tensor.ofDoubles(new long[] {2}, 1, 2));
    assertNotEquals(a, Tensor.ofFloats(new long[] {2}, 1f, 3f));
    assertEquals(Tensor.ofFloats(new long[] {1}, Float.NaN), Tensor.ofFloats(new long[] {1}, Float.NaN));
  }

  @Test
  void emptyAndScalarTensors() {
    Tensor empty = Tensor.zeros(DType.F32, 0, 3);
    assertEquals(0, empty.size());
    assertEquals(0, empty.byteSize());
    Tensor scalar = Tensor.scalar(DType.I64, 7);
    assertEquals(0, scalar.rank());
    assertEquals(7, scalar.getLong(0));
    assertEquals("i64[] [7]", scalar.toString());
  }

  @Test
  void rejectsWrongElementCounts() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Tensor.ofFloats(new long[] {2, 2}, 1f, 2f, 3f));
    assertEquals("shape [2, 2] holds 4 elements, got 3 values", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Tensor.ofFloats(new long[] {4}, 1, 2, 3, 4).reshape(3));
    assertEquals("cannot reshape 4 elements to [3]", e.getMessage());
  }

  @Test
  void copyElementIsBitExact() {
    Tensor src = Tensor.ofFloats(new long[] {2}, Float.intBitsToFloat(0x7fc00001), -0f);
    TensorWriter w = TensorWriter.of(DType.F32, 2);
    w.copyElement(src, 1, 0).copyElement(src, 0, 1);
    Tensor out = w.build();
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(out.toFloatArray()[0]));
    assertEquals(src.data().get(Tensor.I32, 0), out.data().get(Tensor.I32, 4));
  }
}
