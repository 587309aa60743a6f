package dev.kiln.codegen.emit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.LoopVerifier;
import dev.kiln.ir.loop.MatrixOperand;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.type.DType;
import org.junit.jupiter.api.Test;

/**
 * The matmul intrinsic compiled agrees with the loop-IR interpreter's reference: within a
 * tolerance through the generated GEMM (which reassociates the sums; its edge cases are in
 * {@code dev.kiln.codegen.gemm.GemmDifferentialTest}), bit for bit as plain loops (empty extents).
 */
class MatmulIntrinsicTest {

  /**
   * A batch of {@code c[b] = relu(a[b] x w^T + bias[col] + r[b])}: a batch loop whose variable
   * moves the offsets, a transposed B by strides, a broadcast bias and a residual addend.
   */
  static LoopProgram batchedWithEpilogue(int batch, int m, int k, int n) {
    Buffer a = Buffer.of("a", DType.F32, BufferRole.INPUT, batch, m, k);
    Buffer w = Buffer.of("w", DType.F32, BufferRole.INPUT, n, k);
    Buffer bias = Buffer.of("bias", DType.F32, BufferRole.INPUT, n);
    Buffer r = Buffer.of("r", DType.F32, BufferRole.INPUT, batch, m, n);
    Buffer c = Buffer.of("c", DType.F32, BufferRole.OUTPUT, batch, m, n);
    Var bv = new Var("b");
    Local acc = new Local("acc", DType.F32);
    Local lb = new Local("bias", DType.F32);
    Local lr = new Local("res", DType.F32);
    Expr sum = Exprs.add(Exprs.add(acc, lb), lr);
    Expr relu = Exprs.binary(BinaryOp.MAX, sum, Exprs.constant(DType.F32, 0));
    Stmt mm = new Stmt.Matmul(
        new MatrixOperand(a, Exprs.mul(bv, Exprs.index((long) m * k)), k, 1),
        new MatrixOperand(w, Exprs.index(0), 1, k),
        new MatrixOperand(c, Exprs.mul(bv, Exprs.index((long) m * n)), n, 1),
        m, n, k, acc,
        ImmutableList.of(new Stmt.Addend(lb, new MatrixOperand(bias, Exprs.index(0), 0, 1)),
            new Stmt.Addend(lr, new MatrixOperand(r, Exprs.mul(bv, Exprs.index((long) m * n)), n, 1))),
        relu);
    Kernel kernel = new Kernel("fused_0", ImmutableList.of(a, w, bias, r, c),
        new Stmt.For(bv, batch, LoopKind.SERIAL, mm), "node 'g'");
    return new LoopProgram("p", ImmutableList.of(a, w, bias, r), ImmutableList.of(c), ImmutableMap.of(),
        ImmutableList.of(), ImmutableList.of(kernel));
  }

  @Test
  void compiledMatchesInterpreter() {
    LoopProgram p = batchedWithEpilogue(3, 5, 7, 9);
    assertTrue(LoopVerifier.verify(p).isEmpty(), () -> LoopVerifier.verify(p).toString());
    for (long seed = 1; seed <= 3; seed++) {
      Programs.assertCloseToInterpreter(p, seed, 1e-4);
    }
  }

  @Test
  void gemmEpiloguesKeepTheVectorMaxOfMathSemantics() {
    // VectorLoops' compare-and-blend clamps are for loops and convolution epilogues only: in the
    // transformer layer's FFN GEMM they made some processes' attention kernel twice as slow
    // (docs/performance.md, session 19), so a GEMM epilogue's ReLU stays FloatVector.max.
    String source = Programs.emit(batchedWithEpilogue(3, 5, 7, 9)).source();
    assertTrue(source.contains(".max(FloatVector.broadcast(GEMM_SPECIES, (0.0f)))") && !source.contains("clamp"), source);
  }

  @Test
  void emptyExtentsCompile() {
    Programs.assertSameAsInterpreter(batchedWithEpilogue(2, 0, 3, 4), 1);
    Programs.assertSameAsInterpreter(batchedWithEpilogue(2, 3, 0, 4), 1);
  }
}
