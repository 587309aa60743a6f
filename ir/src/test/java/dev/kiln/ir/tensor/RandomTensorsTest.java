package dev.kiln.ir.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RandomTensorsTest {
  @Test
  void sameSeedSameTensorsOtherSeedOthers() {
    long[] shape = {3, 5};
    double[] a = new RandomTensors(7, 10).tensor(DType.F32, shape).toDoubleArray();
    double[] b = new RandomTensors(7, 10).tensor(DType.F32, shape).toDoubleArray();
    double[] c = new RandomTensors(8, 10).tensor(DType.F32, shape).toDoubleArray();
    assertArrayEquals(a, b);
    assertFalse(Arrays.equals(a, c));
  }

  @Test
  void realsLookStandardNormal() {
    double[] v = new RandomTensors(0, 1).tensor(DType.F64, new long[] {20_000}).toDoubleArray();
    double mean = Arrays.stream(v).average().orElseThrow();
    double var = Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / v.length;
    assertEquals(0, mean, 0.03);
    assertEquals(1, var, 0.05);
    assertTrue(Arrays.stream(v).anyMatch(x -> x < 0) && Arrays.stream(v).anyMatch(x -> x > 0));
  }

  @Test
  void integersStayBelowTheBoundAndBoundOneIsZeros() {
    long[] ints = new RandomTensors(3, 10).tensor(DType.I64, new long[] {1000}).toLongArray();
    assertTrue(Arrays.stream(ints).allMatch(x -> x >= 0 && x < 10));
    assertEquals(10, Arrays.stream(ints).distinct().count());
    long[] zeros = new RandomTensors(3, 1).tensor(DType.I32, new long[] {100}).toLongArray();
    assertTrue(Arrays.stream(zeros).allMatch(x -> x == 0));
  }

  @Test
  void symbolicDimsAreOne() {
    TensorType type = TensorType.of(DType.F32, Dim.named("N"), Dim.of(4));
    assertArrayEquals(new long[] {1, 4}, new RandomTensors(0, 1).tensor(type).shape());
  }

  @Test
  void refusesABoundBelowOne() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new RandomTensors(0, 0));
    assertTrue(e.getMessage().contains("integerBound"), e.getMessage());
  }
}
