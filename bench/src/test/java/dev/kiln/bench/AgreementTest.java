package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AgreementTest {
  @Test
  void identicalOutputsAgreeExactly() {
    Agreement a = Agreement.of("y", new double[] {1, -2, 3}, new double[] {1, -2, 3});
    assertEquals(0, a.maxAbsError());
    assertEquals(3, a.maxAbsReference());
    assertEquals(1, a.cosine(), 1e-15);
    assertTrue(a.agrees(0));
  }

  @Test
  void theErrorIsRelativeToTheLargestReferenceMagnitude() {
    // The error 0.001 at a value near zero is small against the output's largest value, 10.
    Agreement a = Agreement.of("y", new double[] {0.001, 10}, new double[] {0, 10});
    assertEquals(0.001, a.maxAbsError(), 1e-15);
    assertEquals(1e-4, a.relativeError(), 1e-15);
    assertTrue(a.agrees(1e-4));
    assertFalse(a.agrees(1e-5));
  }

  @Test
  void cosineMeasuresTheDirection() {
    Agreement opposite = Agreement.of("y", new double[] {1, 2}, new double[] {-1, -2});
    assertEquals(-1, opposite.cosine(), 1e-15);
    Agreement orthogonal = Agreement.of("y", new double[] {1, 0}, new double[] {0, 1});
    assertEquals(0, orthogonal.cosine(), 1e-15);
  }

  @Test
  void aNaNNeverAgrees() {
    Agreement a = Agreement.of("y", new double[] {Double.NaN, 1}, new double[] {1, 1});
    assertTrue(Double.isNaN(a.relativeError()));
    assertFalse(a.agrees(1));
  }

  @Test
  void anAllZeroReferenceAgreesOnlyWithZeros() {
    assertTrue(Agreement.of("y", new double[] {0, 0}, new double[] {0, 0}).agrees(0));
    Agreement off = Agreement.of("y", new double[] {0, 1e-9}, new double[] {0, 0});
    assertEquals(Double.POSITIVE_INFINITY, off.relativeError());
    assertFalse(off.agrees(1e-4));
  }

  @Test
  void differentLengthsAreAnError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Agreement.of("y", new double[2], new double[3]));
    assertEquals("output 'y' has 2 elements, the reference 3", e.getMessage());
  }

  @Test
  void outputsAreComparedInOrderWhateverTheirNames() {
    Map<String, Tensor> kiln = new LinkedHashMap<>();
    kiln.put("y_0", Tensor.ofFloats(new long[] {2}, 1, 2));
    Map<String, Tensor> ort = Map.of("y", Tensor.ofFloats(new long[] {2}, 1, 2.5f));
    List<Agreement> agreements = new ArrayList<>();
    assertEquals(Optional.empty(), ModelBench.compare(kiln, ort, agreements));
    assertEquals(0.2, agreements.getFirst().relativeError(), 1e-7);
  }

  @Test
  void differentShapesOrCountsAreReportedNotCompared() {
    List<Agreement> agreements = new ArrayList<>();
    assertEquals(Optional.of("output 'y' has shape [2] in Kiln, [1, 2] in ONNX Runtime"),
        ModelBench.compare(Map.of("y", Tensor.ofFloats(new long[] {2}, 1, 2)),
            Map.of("y", Tensor.ofFloats(new long[] {1, 2}, 1, 2)), agreements));
    assertEquals(Optional.of("Kiln gives 1 outputs, ONNX Runtime 0"),
        ModelBench.compare(Map.of("y", Tensor.ofFloats(new long[] {1}, 1)), Map.of(), agreements));
    assertTrue(agreements.isEmpty());
  }
}
