package dev.kiln.ir.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.type.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The matmul intrinsic: its text, its verification, its construction checks. */
class MatmulStmtTest {
  static final Buffer A = Buffer.of("a", DType.F32, BufferRole.INPUT, 4, 8);
  static final Buffer B = Buffer.of("b", DType.F32, BufferRole.CONSTANT, 8, 3);
  static final Buffer BIAS = Buffer.of("bias", DType.F32, BufferRole.CONSTANT, 4);
  static final Buffer C = Buffer.of("c", DType.F32, BufferRole.OUTPUT, 4, 3);
  static final Local ACC = new Local("acc", DType.F32);
  static final Local X = new Local("x", DType.F32);

  static Kernel kernel(Stmt body) {
    return new Kernel("gemm", ImmutableList.of(A, B, BIAS, C), body, "Gemm node 'g'");
  }

  static Stmt.Matmul withBias(MatrixOperand a, Expr epilogue) {
    return new Stmt.Matmul(a, MatrixOperand.rowMajor(B, 3), MatrixOperand.rowMajor(C, 3), 4, 3, 8, ACC,
        ImmutableList.of(new Stmt.Addend(X, new MatrixOperand(BIAS, Exprs.index(0), 1, 0))), epilogue);
  }

  @Test
  void printsOnOneLine() {
    Stmt mm = withBias(MatrixOperand.rowMajor(A, 8),
        Exprs.binary(BinaryOp.MAX, Exprs.add(ACC, X), Exprs.constant(DType.F32, 0)));
    assertEquals("matmul 4x3x8 %c[0; 3, 1] = %a[0; 8, 1] * %b[0; 3, 1] acc $acc: f32 "
        + "epilogue max(($acc + $x), 0.0:f32) with $x = %bias[0; 1, 0]\n", LoopPrinter.print(mm));
    assertEquals("matmul 4x3x8 %c[0; 3, 1] = %a[0; 8, 1] * %b[0; 3, 1] acc $acc: f32\n",
        LoopPrinter.print(Stmt.Matmul.plain(MatrixOperand.rowMajor(A, 8), MatrixOperand.rowMajor(B, 3),
            MatrixOperand.rowMajor(C, 3), 4, 3, 8, ACC)));
    // The matmul counts as the writer of its output.
    LoopProgram p = new LoopProgram("m", ImmutableList.of(A), ImmutableList.of(C),
        ImmutableMap.of(B, dev.kiln.ir.tensor.Tensor.ofFloats(new long[] {8, 3}, new float[24]),
            BIAS, dev.kiln.ir.tensor.Tensor.ofFloats(new long[] {4}, new float[4])),
        ImmutableList.of(), ImmutableList.of(kernel(mm)));
    assertEquals(List.of(), LoopVerifier.verify(p));
  }

  @Test
  void verifierChecksExtentsAndTheEpilogue() {
    Stmt tooFar = withBias(new MatrixOperand(A, Exprs.index(1), 8, 1), ACC);
    assertEquals(List.of("kernel gemm: matmul a %a[1; 8, 1] reaches elements 1..32 of %a, which has 32"),
        LoopVerifier.verify(kernel(tooFar)));
    Stmt loads = withBias(MatrixOperand.rowMajor(A, 8),
        Exprs.add(ACC, Exprs.load(BIAS, Exprs.index(0))));
    assertEquals(List.of("kernel gemm: matmul epilogue loads %bias[0]; read buffers through addends"),
        LoopVerifier.verify(kernel(loads)));
    Stmt foreign = withBias(MatrixOperand.rowMajor(A, 8), Exprs.add(ACC, new Local("y", DType.F32)));
    assertEquals(List.of("kernel gemm: matmul epilogue uses $y, which is not its accumulator or an addend"),
        LoopVerifier.verify(kernel(foreign)));
    Var i = new Var("i");
    Stmt offsetByLoop = new Stmt.For(i, 2, LoopKind.SERIAL,
        withBias(new MatrixOperand(A, Exprs.mul(i, Exprs.index(1)), 8, 1), ACC));
    assertEquals(List.of("kernel gemm: matmul a %a[i; 8, 1] reaches elements 0..32 of %a, which has 32"),
        LoopVerifier.verify(kernel(offsetByLoop)));
  }

  @Test
  void illTypedStatementsCannotBeBuilt() {
    assertThrows(IllegalArgumentException.class, () -> new MatrixOperand(A, Exprs.constant(DType.F32, 0), 1, 1));
    assertThrows(IllegalArgumentException.class, () -> Stmt.Matmul.plain(MatrixOperand.rowMajor(A, 8),
        MatrixOperand.rowMajor(B, 3), MatrixOperand.rowMajor(C, 3), 4, 3, 8, new Local("acc", DType.F64)));
  }
}
