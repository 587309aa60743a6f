package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Kiln;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class FlopsTest {
  @Test
  void aMatMulIsTwoFlopsPerMultiplyAdd() {
    assertEquals(OptionalLong.of(2L * 128 * 768 * 3072),
        Flops.ofSingleOp(SyntheticModels.matmul(128, 768, 3072)));
  }

  @Test
  void aConvCountsOutputsTimesFilterVolume() {
    // The shared conv_r18_conv2_3x3_64x56 model's "flop": 231211008.
    assertEquals(OptionalLong.of(231_211_008L),
        Flops.ofSingleOp(SyntheticModels.conv(64, 56, 56, 64, 3, 3)));
  }

  @Test
  void aNetworkHasNoSingleOpFlops() {
    var graph = Kiln.fromString("""
        model two(%x: f32[2, 2]) -> (%z: f32[2, 2]) {
          %y = MatMul(%x, %x)
          %z = Relu(%y)
        }
        """).graph();
    assertEquals(OptionalLong.empty(), Flops.ofSingleOp(graph));
  }

  @Test
  void symbolicShapesHaveNoFlops() {
    var graph = Kiln.fromString("""
        model mm(%x: f32[N, 2], %w: f32[2, 2]) -> (%y: f32[N, 2]) {
          %y = MatMul(%x, %w)
        }
        """).graph();
    assertTrue(Flops.ofSingleOp(graph).isEmpty());
  }

  @Test
  void syntheticSpecsAreParsedAndChecked() {
    assertEquals("matmul_2x3x4", SyntheticModels.graph("matmul:2x3x4").name());
    assertEquals("matmul_2x3x4", SyntheticModels.fileName("matmul:2x3x4"));
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> SyntheticModels.graph("matmul:0x3x4"));
    assertEquals("'matmul:0x3x4': every size must be between 1 and 1048576, got 0", zero.getMessage());
    IllegalArgumentException conv = assertThrows(IllegalArgumentException.class,
        () -> SyntheticModels.graph("conv:1x2x2"));
    assertTrue(conv.getMessage().endsWith("or conv:CxHxW:FxKHxKW (e.g. conv:64x56x56:64x3x3)"),
        conv.getMessage());
  }
}
