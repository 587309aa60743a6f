package dev.kiln.ir.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The blocked convolution intrinsic: its text, its verification, its construction checks. */
class BlockedConvStmtTest {
  // 20 -> 24 channels in blocks of 16, 3x3, stride 1, pad 1 on an 8x8 image.
  static final Buffer X = Buffer.of("x", DType.F32, BufferRole.INPUT, 2, 2, 8, 8, 16);
  static final Buffer W = Buffer.of("w", DType.F32, BufferRole.CONSTANT, 24, 20, 3, 3);
  static final Buffer BIAS = Buffer.of("bias", DType.F32, BufferRole.CONSTANT, 24);
  static final Buffer Y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 2, 2, 8, 8, 16);
  static final Local ACC = new Local("acc", DType.F32);
  static final Local B = new Local("b", DType.F32);
  static final ConvGeometry GEOMETRY = new ConvGeometry(20, 24, 3, 3, 1, 1, 1, 1, 1, 1);

  static Kernel kernel(Stmt body) {
    return new Kernel("conv", ImmutableList.of(X, W, BIAS, Y), body, "NchwcConv node 'c'");
  }

  static Stmt.BlockedConv conv(Buffer x, Buffer w, Buffer y, ConvGeometry g, Expr epilogue) {
    return new Stmt.BlockedConv(x, w, y, g, ACC, ImmutableList.of(new Stmt.ConvAddend(B, BIAS, true)), epilogue);
  }

  @Test
  void printsOnOneLineAndCountsAsTheWriter() {
    Stmt cv = conv(X, W, Y, GEOMETRY, Exprs.binary(BinaryOp.MAX, Exprs.add(ACC, B), Exprs.constant(DType.F32, 0)));
    assertEquals("blocked_conv 20->24 k=3x3 s=1x1 d=1x1 p=1x1 %y = %x * %w acc $acc: f32 "
        + "epilogue max(($acc + $b), 0.0:f32) with $b = %bias[channel]\n", LoopPrinter.print(cv));
    assertEquals("blocked_conv 20->24 k=3x3 s=1x1 d=1x1 p=1x1 %y = %x * %w acc $acc: f32\n",
        LoopPrinter.print(new Stmt.BlockedConv(X, W, Y, GEOMETRY, ACC, ImmutableList.of(), ACC)));
    LoopProgram p = new LoopProgram("c", ImmutableList.of(X), ImmutableList.of(Y),
        ImmutableMap.of(W, Tensor.ofFloats(W.shapeArray(), new float[W.size()]),
            BIAS, Tensor.ofFloats(BIAS.shapeArray(), new float[24])),
        ImmutableList.of(), ImmutableList.of(kernel(cv)));
    assertEquals(List.of(), LoopVerifier.verify(p));
  }

  @Test
  void verifierChecksShapesAgainstTheGeometry() {
    ConvGeometry moreChannels = new ConvGeometry(40, 24, 3, 3, 1, 1, 1, 1, 1, 1);
    assertEquals(List.of(
            "kernel conv: blocked_conv input in %x: f32[2, 2, 8, 8, 16] and output out %y: f32[2, 2, 8, 8, 16]"
                + " do not hold 40 -> 24 channels in blocks of 16",
            "kernel conv: blocked_conv weights const %w: f32[24, 20, 3, 3] are neither [24, 40, 3, 3]"
                + " nor packed [2, 3, 3, 3, 16, 16]"),
        LoopVerifier.verify(kernel(conv(X, W, Y, moreChannels, ACC))));
    Buffer packed = Buffer.of("w", DType.F32, BufferRole.CONSTANT, 2, 2, 3, 3, 16, 16);
    assertEquals(List.of(), LoopVerifier.verify(new Kernel("conv", ImmutableList.of(X, packed, BIAS, Y),
        conv(X, packed, Y, GEOMETRY, ACC), "")));
  }

  @Test
  void verifierChecksTheOutputAndTheEpilogue() {
    assertEquals(List.of("kernel conv: blocked_conv stores into in buffer %x",
            "kernel conv: blocked_conv reads its output %x"),
        LoopVerifier.verify(kernel(conv(X, W, X, GEOMETRY, ACC))));
    assertEquals(List.of("kernel conv: blocked_conv epilogue loads %bias[0]; read buffers through addends"),
        LoopVerifier.verify(kernel(conv(X, W, Y, GEOMETRY, Exprs.add(ACC, Exprs.load(BIAS, Exprs.index(0)))))));
    assertEquals(List.of("kernel conv: blocked_conv epilogue uses $q, which is not its accumulator or an addend"),
        LoopVerifier.verify(kernel(conv(X, W, Y, GEOMETRY, Exprs.add(ACC, new Local("q", DType.F32))))));
    Stmt residualOfBiasShape = new Stmt.BlockedConv(X, W, Y, GEOMETRY, ACC,
        ImmutableList.of(new Stmt.ConvAddend(B, BIAS, false)), Exprs.add(ACC, B));
    assertEquals(List.of("kernel conv: blocked_conv addend const %bias: f32[24] must have shape [2, 2, 8, 8, 16]"),
        LoopVerifier.verify(kernel(residualOfBiasShape)));
    Stmt foreign = conv(X, W, Y, GEOMETRY, ACC);
    assertEquals(List.of("kernel conv: blocked_conv uses %bias, which is not among its buffers"),
        LoopVerifier.verify(new Kernel("conv", ImmutableList.of(X, W, Y), foreign, "")));
  }

  @Test
  void illFormedStatementsCannotBeBuilt() {
    assertThrows(IllegalArgumentException.class, () -> new ConvGeometry(1, 1, 3, 3, 0, 1, 1, 1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new ConvGeometry(1, 1, 3, 3, 1, 1, 1, 1, -1, 0));
    assertThrows(IllegalArgumentException.class, () -> new Stmt.BlockedConv(X, W, Y, GEOMETRY,
        new Local("acc", DType.F64), ImmutableList.of(), new Local("acc", DType.F64)));
  }
}
