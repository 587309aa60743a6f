package dev.kiln.ir.ops.linalg;

import static dev.kiln.ir.ops.OpCall.assertTensor;
import static dev.kiln.ir.ops.OpCall.f32;
import static dev.kiln.ir.ops.OpCall.shape;
import static dev.kiln.ir.ops.OpCall.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.ops.OpCall;
import dev.kiln.ir.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fused operators (FusedConv, FusedGemm, FusedMatMul) and their epilogue: each computes its
 * core operator, then the bias and residual additions, then the activation, exactly as the
 * unfused operators' reference code does.
 */
class FusedOpsTest {
  private static final Tensor A = tensor(shape(2, 2), 1, -2, 3, 4);
  private static final Tensor I = tensor(shape(2, 2), 1, 0, 0, 1);

  @Test
  void fusedMatMulAddsBiasAndResidualThenActivates() {
    Tensor bias = tensor(shape(2), 0.5, -10);
    Tensor z = tensor(shape(2, 2), 1, 1, 1, 1);
    // A + bias + z = [[2.5, -11], [4.5, -5]]; Relu.
    assertTensor(shape(2, 2), new double[] {2.5, 0, 4.5, 0},
        OpCall.of("FusedMatMul").attr("activation", "Relu").in(A).in(I).in(bias).in(z).eval());
    assertTensor(shape(2, 2), new double[] {1, -2, 3, 4}, OpCall.of("FusedMatMul").in(A).in(I).eval());
  }

  @Test
  void everyActivationMatchesItsOperator() {
    Tensor x = tensor(shape(2, 2), -3, -0.5, 0.5, 3);
    assertTensor(shape(2, 2), new double[] {-0.3, -0.05, 0.5, 3}, OpCall.of("FusedMatMul")
        .attr("activation", "LeakyRelu").attr("activation_params", Attribute.floats(0.1f))
        .in(x).in(I).eval());
    assertTensor(shape(2, 2), new double[] {-1, -0.5, 0.5, 1}, OpCall.of("FusedMatMul")
        .attr("activation", "Clip").attr("activation_params", Attribute.floats(-1, 1))
        .in(x).in(I).eval());
    assertTensor(shape(2, 2), new double[] {0, 0.4, 0.6, 1}, OpCall.of("FusedMatMul")
        .attr("activation", "HardSigmoid").attr("activation_params", Attribute.floats(0.2f, 0.5f))
        .in(x).in(I).eval());
    for (String act : List.of("Sigmoid", "Tanh", "Gelu", "FastGelu")) {
      Tensor fused = OpCall.of("FusedMatMul").attr("activation", act).in(x).in(I).eval();
      OpCall unary = OpCall.of(act.equals("FastGelu") ? "Gelu" : act);
      if (act.equals("FastGelu")) {
        unary.attr("approximate", "tanh");
      }
      assertEquals(unary.in(x).eval(), fused, act);
    }
  }

  @Test
  void fusedGemmIsGemmThenTheEpilogue() {
    Tensor c = tensor(shape(2), 1, -100);
    assertTensor(shape(2, 2), new double[] {3, 0, 7, 0}, OpCall.of("FusedGemm")
        .attr("alpha", 2.0f).attr("activation", "Relu").in(A).in(I).in(c).eval());
    assertEquals("f32[N, 3]", OpCall.of("FusedGemm").attr("transB", 1).in(f32("N", 4))
        .in(f32(3, 4)).absent().in(f32("N", 3)).inferText());
  }

  @Test
  void fusedConvIsConvThenResidualThenActivation() {
    Tensor x = tensor(shape(1, 1, 2, 2), 1, 2, 3, 4);
    Tensor w = tensor(shape(2, 1, 1, 1), 1, -1);
    Tensor b = tensor(shape(2), 0, 10);
    Tensor z = tensor(shape(1, 2, 2, 2), 0, 0, 0, 0, -20, 0, 0, 0);
    // Channel 1: 10 - x + z = [-11, 8, 7, 6].
    assertTensor(shape(1, 2, 2, 2), new double[] {1, 2, 3, 4, 0, 8, 7, 6}, OpCall.of("FusedConv")
        .attr("activation", "Relu").in(x).in(w).in(b).in(z).eval());
    assertEquals("f32[N, 8, 30, 30]", OpCall.of("FusedConv").attr("activation", "Relu")
        .in(f32("N", 3, 32, 32)).in(f32(8, 3, 3, 3)).inferText());
  }

  @Test
  void badEpiloguesAreNamed() {
    assertEquals("attribute 'activation' must be one of [Relu, Sigmoid, Tanh, LeakyRelu,"
        + " HardSigmoid, Clip, Gelu, FastGelu], got \"Swish\"", OpCall.of("FusedMatMul")
        .attr("activation", "Swish").in(f32(2, 2)).in(f32(2, 2)).inferError());
    assertEquals("activation Clip takes 2 'activation_params', got 1", OpCall.of("FusedMatMul")
        .attr("activation", "Clip").attr("activation_params", Attribute.floats(1))
        .in(f32(2, 2)).in(f32(2, 2)).inferError());
    assertEquals("attribute 'activation_params' is given without 'activation'",
        OpCall.of("FusedGemm").attr("activation_params", Attribute.floats(1))
            .in(f32(2, 2)).in(f32(2, 2)).inferError());
    assertEquals("input 3 (Z) f32[2, 1] must have the type of the output f32[2, 2]",
        OpCall.of("FusedMatMul").in(f32(2, 2)).in(f32(2, 2)).absent().in(f32(2, 1)).inferError());
    assertEquals("input 2 (bias) f32[3] must broadcast to the output f32[2, 2]",
        OpCall.of("FusedMatMul").in(f32(2, 2)).in(f32(2, 2)).in(f32(3)).inferError());
    assertEquals("input 3 (Z) f32[1, 2, 3, 3] must have the type of the output f32[1, 2, 2, 2]",
        OpCall.of("FusedConv").in(f32(1, 1, 2, 2)).in(f32(2, 1, 1, 1)).absent()
            .in(f32(1, 2, 3, 3)).inferError());
  }
}
