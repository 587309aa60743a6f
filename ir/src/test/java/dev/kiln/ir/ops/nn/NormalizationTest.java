package dev.kiln.ir.ops.nn;

import static dev.kiln.ir.ops.OpCall.assertTensor;
import static dev.kiln.ir.ops.OpCall.f32;
import static dev.kiln.ir.ops.OpCall.iota;
import static dev.kiln.ir.ops.OpCall.shape;
import static dev.kiln.ir.ops.OpCall.tensor;
import static dev.kiln.ir.ops.OpCall.type;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.ops.OpCall;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

class NormalizationTest {
  @Test
  void batchNormalizationPerChannel() {
    // c0 = [1, 3] with mean 2, var 1, scale 2, bias 0; c1 = [10, 20] with mean 15, var 25, bias 1.
    Tensor y =
        OpCall.of("BatchNormalization")
            .attr("epsilon", 0.0f)
            .in(tensor(shape(1, 2, 1, 2), 1, 3, 10, 20))
            .in(tensor(shape(2), 2, 1))
            .in(tensor(shape(2), 0, 1))
            .in(tensor(shape(2), 2, 15))
            .in(tensor(shape(2), 1, 25))
            .eval();
    assertTensor(shape(1, 2, 1, 2), new double[] {-2, 2, 0, 2}, y);
  }

  @Test
  void batchNormalizationDefaultEpsilon() {
    Tensor one = tensor(shape(1), 1);
    Tensor zero = tensor(shape(1), 0);
    Tensor y =
        OpCall.of("BatchNormalization").in(tensor(shape(1, 1), 1)).in(one).in(zero).in(zero).in(zero)
            .eval();
    assertTensor(shape(1, 1), new double[] {1 / Math.sqrt(1e-5)}, y);
  }

  @Test
  void batchNormalizationInTrainingModeUsesTheBatchStatistics() {
    // Channel 0 over N and W: [1, 3, 5, 7], mean 4, population variance 5 (not 20/3);
    // channel 1: [2, 2, 2, 2], mean 2, variance 0. Scale [2, 1], B [0, 1], epsilon 0 except
    // where the zero variance needs it.
    Tensor x = tensor(shape(2, 2, 2), 1, 3, 2, 2, 5, 7, 2, 2);
    List<Tensor> out =
        OpCall.of("BatchNormalization")
            .attr("training_mode", 1)
            .attr("momentum", 0.75f)
            .attr("epsilon", 1e-6f)
            .in(x)
            .in(tensor(shape(2), 2, 1))
            .in(tensor(shape(2), 0, 1))
            .in(tensor(shape(2), 8, 6))
            .in(tensor(shape(2), 1, 4))
            .outputs(3)
            .evalAll();
    double s = 2 / Math.sqrt(5 + 1e-6);
    assertTensor(shape(2, 2, 2), new double[] {-3 * s, -s, 1, 1, s, 3 * s, 1, 1}, out.get(0));
    // running = input * momentum + batch * (1 - momentum)
    assertTensor(shape(2), new double[] {8 * 0.75 + 4 * 0.25, 6 * 0.75 + 2 * 0.25}, out.get(1));
    assertTensor(shape(2), new double[] {1 * 0.75 + 5 * 0.25, 4 * 0.75}, out.get(2));
  }

  @Test
  void batchNormalizationInTrainingModeMayOmitTheRunningStatistics() {
    Tensor y =
        OpCall.of("BatchNormalization")
            .attr("training_mode", 1)
            .attr("epsilon", 0f)
            .in(tensor(shape(2, 1), 1, 3))
            .in(tensor(shape(1), 1))
            .in(tensor(shape(1), 0))
            .in(tensor(shape(1), 100))
            .in(tensor(shape(1), 100))
            .eval();
    assertTensor(shape(2, 1), new double[] {-1, 1}, y);
  }

  @Test
  void batchNormalizationOutputTypesFollowTheMode() {
    OpCall bn = OpCall.of("BatchNormalization").in(f32("N", 2, "H", "W"));
    for (int i = 0; i < 4; i++) {
      bn.in(f32(2));
    }
    assertEquals("f32[N, 2, H, W]", bn.inferText());
    assertEquals(
        List.of(f32("N", 2, "H", "W"), f32(2), f32(2)),
        bn.attr("training_mode", 1).outputs(3).inferAll());
  }

  @Test
  void batchNormalizationRejectsInconsistentOutputsAndBadParameters() {
    OpCall threeOutputs = OpCall.of("BatchNormalization").in(f32(1, 2)).outputs(3);
    for (int i = 0; i < 4; i++) {
      threeOutputs.in(f32(2));
    }
    assertEquals(
        "BatchNormalization in inference mode has only output Y, got 3 outputs"
            + " (running_mean and running_var exist only with training_mode=1)",
        threeOutputs.inferError());
    assertEquals(
        "attribute 'training_mode' must be 0 or 1, got 2",
        threeOutputs.attr("training_mode", 2).inferError());
    assertEquals(
        "input 3 (input_mean) must be 1-D of size 2 (the channels of input 0), got f32[3]",
        OpCall.of("BatchNormalization").in(f32(1, 2, 4)).in(f32(2)).in(f32(2)).in(f32(3))
            .in(f32(2)).inferError());
  }

  @Test
  void meanVarianceNormalizationPerChannelByDefault() {
    // Channel 0 over N, H, W: [1, 3], mean 2, std 1; channel 1: [5, 5], std 0, so 0 / 1e-9.
    Tensor y = OpCall.of("MeanVarianceNormalization").in(tensor(shape(2, 2, 1, 1), 1, 5, 3, 5))
        .eval();
    assertTensor(shape(2, 2, 1, 1), new double[] {-1 / (1 + 1e-9), 0, 1 / (1 + 1e-9), 0}, y);
    // Over the last axis only: rows [0, 2] and [4, 8].
    Tensor rows = OpCall.of("MeanVarianceNormalization").ints("axes", -1)
        .in(tensor(shape(2, 2), 0, 2, 4, 8)).eval();
    assertTensor(shape(2, 2), new double[] {-1, 1, -1, 1}, rows);
  }

  @Test
  void meanVarianceNormalizationRejectsBadAxes() {
    assertEquals("attribute 'axes' 3 is out of range for rank 2",
        OpCall.of("MeanVarianceNormalization").ints("axes", 3).in(f32(2, 2)).inferError());
    assertEquals("attribute 'axes' names axis 1 twice",
        OpCall.of("MeanVarianceNormalization").ints("axes", 1, -1).in(f32(2, 2)).inferError());
    assertEquals("attribute 'axes' 2 is out of range for rank 2",
        OpCall.of("MeanVarianceNormalization").in(f32(2, 2)).inferError());
  }

  @Test
  void parametersAreCheckedAgainstSymbolicDimsWhenTheyAreBound() {
    // Inference accepted these against symbolic dims; at run time the dims are 3 and 5.
    Tensor two = tensor(shape(2), 1, 1);
    assertEquals(
        "input 1 (scale) must be 1-D of size 3 (the channels of input 0), got f32[2]",
        OpCall.of("BatchNormalization").in(iota(1, 3, 2)).in(two).in(two).in(two).in(two)
            .evalError());
    assertEquals(
        "input 2 (B) must be 1-D of size 3 (the channels of input 0), got f32[2]",
        OpCall.of("InstanceNormalization").in(iota(1, 3, 2)).in(tensor(shape(3), 1, 1, 1))
            .in(two).evalError());
    assertEquals(
        "input 1 (Scale) f32[2] does not broadcast to the shape of input 0 (X) f32[1, 5]",
        OpCall.of("LayerNormalization").in(iota(1, 5)).in(two).evalError());
  }

  @Test
  void layerNormalizationOverTheLastTwoDims() {
    // Both groups normalize to [-3, -1, 1, 3] / sqrt(5); Scale [[1, 2], [3, 4]], B [0, 1].
    Tensor x = tensor(shape(2, 2, 2), 1, 2, 3, 4, 10, 20, 30, 40);
    List<Tensor> out =
        OpCall.of("LayerNormalization")
            .attr("axis", 1)
            .attr("epsilon", 0.0f)
            .in(x)
            .in(tensor(shape(2, 2), 1, 2, 3, 4))
            .in(tensor(shape(2), 0, 1))
            .outputs(3)
            .evalAll();
    double a = 3 / Math.sqrt(5);
    double b = 1 / Math.sqrt(5);
    double[] group = {-a, -b * 2 + 1, b * 3, a * 4 + 1};
    assertTensor(shape(2, 2, 2), concat(group, group), out.get(0));
    assertTensor(shape(2, 1, 1), new double[] {2.5, 25}, out.get(1));
    assertTensor(shape(2, 1, 1), new double[] {1 / Math.sqrt(1.25), 1 / Math.sqrt(125)}, out.get(2));
  }

  @Test
  void layerNormalizationDefaultsToTheLastAxisWithoutBias() {
    Tensor y =
        OpCall.of("LayerNormalization").attr("epsilon", 0.0f).in(tensor(shape(2, 2), 0, 2, 5, 5.5))
            .in(tensor(shape(2), 1, 3)).eval();
    assertTensor(shape(2, 2), new double[] {-1, 3, -1, 3}, y);
  }

  @Test
  void layerNormalizationInference() {
    OpCall ln = OpCall.of("LayerNormalization").in(f32("B", "S", 768)).in(f32(768)).in(f32(768));
    assertEquals(
        "[f32[B, S, 768], f32[B, S, 1], f32[B, S, 1]]", ln.outputs(3).inferAll().toString());
    assertEquals(
        "[f16[B, S, 768], f32[B, 1, 1]]",
        OpCall.of("LayerNormalization").attr("axis", 1).in(type(DType.F16, "B", "S", 768))
            .in(type(DType.F16, 768)).outputs(2).inferAll().toString());
    assertEquals(
        "input 1 (Scale) f32[5] does not broadcast to the shape of input 0 (X) f32[2, 3, 4]",
        OpCall.of("LayerNormalization").in(f32(2, 3, 4)).in(f32(5)).inferError());
    assertEquals(
        "attribute 'axis' 3 is out of range for rank 3",
        OpCall.of("LayerNormalization").attr("axis", 3).in(f32(2, 3, 4)).in(f32(4)).inferError());
    assertEquals(
        "attribute 'stash_type' must be the ONNX code of a floating-point type (1 for f32), got 7",
        OpCall.of("LayerNormalization").attr("stash_type", 7).in(f32(2, 4)).in(f32(4))
            .inferError());
  }

  @Test
  void instanceNormalization() {
    Tensor y =
        OpCall.of("InstanceNormalization")
            .in(tensor(shape(1, 2, 2), 1, 3, 5, 5))
            .in(tensor(shape(2), 2, 1))
            .in(tensor(shape(2), 0, 7))
            .eval();
    double d = 2 / Math.sqrt(1 + 1e-5);
    assertTensor(shape(1, 2, 2), new double[] {-d, d, 7, 7}, y);
    assertEquals(
        "input 2 (B) must be 1-D of size C (the channels of input 0), got f32[C, 1]",
        OpCall.of("InstanceNormalization").in(f32("N", "C", 8)).in(f32("C")).in(f32("C", 1))
            .inferError());
  }

  @Test
  void localResponseNormalization() {
    Tensor x = iota(1, 3, 1, 1);
    assertTensor(
        shape(1, 3, 1, 1),
        new double[] {1.0 / 6, 2.0 / 15, 3.0 / 14},
        OpCall.of("LRN").attr("size", 3).attr("alpha", 3.0f).attr("beta", 1.0f).in(x).eval());
    // An even size looks one channel further up than down.
    assertTensor(
        shape(1, 3, 1, 1),
        new double[] {1.0 / 6, 2.0 / 14, 3.0 / 10},
        OpCall.of("LRN").attr("size", 2).attr("alpha", 2.0f).attr("beta", 1.0f).in(x).eval());
    assertEquals(
        "attribute 'size' must be positive, got 0",
        OpCall.of("LRN").attr("size", 0).in(f32(1, 3, 4, 4)).inferError());
  }

  private static double[] concat(double[] a, double[] b) {
    double[] out = new double[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
