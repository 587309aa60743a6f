package dev.kiln.ir.ops;

import static dev.kiln.ir.ops.OpCall.assertTensor;
import static dev.kiln.ir.ops.OpCall.shape;
import static dev.kiln.ir.ops.OpCall.tensor;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Identities between operators of different families on seeded random inputs: each pair is
 * computed by independent reference code, so a shared mistake is unlikely to hide.
 */
class CrossOperatorTest {
  private final Random random = new Random(20261201);

  private Tensor random(long... shape) {
    double[] v = new double[Math.toIntExact(Tensor.zeros(DType.F32, shape).size())];
    for (int i = 0; i < v.length; i++) {
      v[i] = random.nextInt(200) / 10.0 - 10;
    }
    return tensor(shape, v);
  }

  private static void assertSame(Tensor expected, Tensor actual) {
    assertTensor(expected.shape(), expected.toDoubleArray(), actual);
  }

  @Test
  void averagePoolCountingPadsIsAConvWithUniformWeights() {
    Tensor x = random(2, 3, 7, 6);
    double[] w = new double[3 * 3 * 3];
    Arrays.fill(w, 1.0 / 9);
    Tensor pooled =
        OpCall.of("AveragePool").ints("kernel_shape", 3, 3).ints("strides", 2, 1)
            .ints("pads", 1, 0, 2, 1).attr("count_include_pad", 1).in(x).eval();
    Tensor convolved =
        OpCall.of("Conv").attr("group", 3).ints("strides", 2, 1).ints("pads", 1, 0, 2, 1)
            .in(x).in(tensor(shape(3, 1, 3, 3), w)).eval();
    assertSame(convolved, pooled);
  }

  @Test
  void globalPoolsAreSpatialReductions() {
    Tensor x = random(2, 4, 3, 5);
    assertSame(
        OpCall.of("ReduceMean").ints("axes", 2, 3).in(x).eval(),
        OpCall.of("GlobalAveragePool").in(x).eval());
    assertSame(
        OpCall.of("ReduceMax").ints("axes", -1, -2).in(x).eval(),
        OpCall.of("GlobalMaxPool").in(x).eval());
  }

  @Test
  void oneByOneConvIsAMatMulOverChannels() {
    // Y[n, m, p] = sum_c W[m, c] X[n, c, p]: MatMul of W [M, C] with X [N, C, P].
    Tensor x = random(2, 3, 10);
    Tensor w = random(4, 3);
    assertSame(
        OpCall.of("MatMul").in(w).in(x).eval(),
        OpCall.of("Conv").in(x).in(w.reshape(4, 3, 1)).eval());
  }

  @Test
  void gemmIsAScaledMatMulPlusBias() {
    Tensor a = random(3, 5);
    Tensor b = random(5, 4);
    Tensor product = OpCall.of("MatMul").in(a).in(b).eval();
    Tensor bias = random(4);
    Tensor gemm =
        OpCall.of("Gemm").attr("alpha", 2.0f).attr("beta", -1.0f).in(a).in(b).in(bias).eval();
    double[] expected = product.toDoubleArray();
    for (int i = 0; i < expected.length; i++) {
      expected[i] = 2 * expected[i] - bias.getDouble(i % 4);
    }
    assertTensor(shape(3, 4), expected, gemm);
  }

  @Test
  void logSoftmaxIsTheLogOfSoftmaxAndSumsToOne() {
    Tensor x = random(2, 3, 4);
    Tensor softmax = OpCall.of("Softmax").attr("axis", 1).in(x).eval();
    Tensor logSoftmax = OpCall.of("LogSoftmax").attr("axis", 1).in(x).eval();
    double[] log = softmax.toDoubleArray();
    for (int i = 0; i < log.length; i++) {
      log[i] = Math.log(log[i]);
    }
    assertTensor(x.shape(), log, logSoftmax);
    double[] ones = new double[8];
    Arrays.fill(ones, 1);
    Tensor sums = OpCall.of("ReduceSum").ints("axes", 1).attr("keepdims", 0).in(softmax).eval();
    assertTensor(shape(2, 4), ones, sums);
  }

  @Test
  void logSumExpIsTheLogOfTheSumOfExponentials() {
    Tensor x = random(3, 4);
    double[] e = x.toDoubleArray();
    for (int i = 0; i < e.length; i++) {
      e[i] = Math.exp(e[i]);
    }
    Tensor sums =
        OpCall.of("ReduceLogSum").ints("axes", 1).in(Tensor.ofDoubles(x.shape(), e)).eval();
    assertSame(
        Tensor.ofDoubles(DType.F32, sums.shape(), sums.toDoubleArray()),
        OpCall.of("ReduceLogSumExp").ints("axes", 1).in(x).eval());
  }

  @Test
  void instanceNormalizationIsLayerNormalizationPerPlane() {
    // With unit scale and zero bias, normalizing each (n, c) plane is LayerNorm from axis 2.
    Tensor x = random(2, 3, 4, 5);
    Tensor ones = tensor(shape(3), 1, 1, 1);
    Tensor zeros = tensor(shape(3), 0, 0, 0);
    double[] unit = new double[20];
    Arrays.fill(unit, 1);
    assertSame(
        OpCall.of("LayerNormalization").attr("axis", 2).in(x).in(tensor(shape(4, 5), unit)).eval(),
        OpCall.of("InstanceNormalization").in(x).in(ones).in(zeros).eval());
  }

  @Test
  void maxPoolIndicesPointAtTheMaxima() {
    Tensor x = random(2, 3, 6, 5);
    List<Tensor> out =
        OpCall.of("MaxPool").ints("kernel_shape", 3, 2).ints("strides", 2, 2)
            .ints("pads", 1, 1, 1, 0).attr("ceil_mode", 1).in(x).outputs(2).evalAll();
    double[] gathered = new double[Math.toIntExact(out.get(1).size())];
    for (int i = 0; i < gathered.length; i++) {
      gathered[i] = x.getDouble(out.get(1).getLong(i));
    }
    assertTensor(out.get(0).shape(), gathered, out.get(0));
  }
}
