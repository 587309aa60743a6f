package dev.kiln.ir.type;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShapeTest {
  @Test
  void printsKnownNamedAndUnknownDims() {
    TensorType t = TensorType.of(DType.F32, Dim.named("N"), Dim.of(784), Dim.UNKNOWN);
    assertEquals("f32[N, 784, ?]", t.toString());
    assertFalse(t.shape().isStatic());
    assertTrue(Shape.of(2, 3).isStatic());
    assertEquals(6, Shape.of(2, 3).elementCount());
    assertEquals("f32[]", new TensorType(DType.F32, Shape.SCALAR).toString());
  }
}
