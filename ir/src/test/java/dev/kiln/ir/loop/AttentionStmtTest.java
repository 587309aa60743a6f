package dev.kiln.ir.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.type.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The attention intrinsic: its text, its verification, its construction checks. */
class AttentionStmtTest {
  static final Buffer Q = Buffer.of("q", DType.F32, BufferRole.INPUT, 4, 3);
  static final Buffer K = Buffer.of("k", DType.F32, BufferRole.INPUT, 3, 5);
  static final Buffer V = Buffer.of("v", DType.F32, BufferRole.INPUT, 5, 2);
  static final Buffer S = Buffer.of("s", DType.F32, BufferRole.SCRATCH, 4, 5);
  static final Buffer P = Buffer.of("p", DType.F32, BufferRole.SCRATCH, 4, 5);
  static final Buffer O = Buffer.of("o", DType.F32, BufferRole.OUTPUT, 4, 2);
  static final Local ACC = new Local("acc", DType.F32);

  static Stmt.Attention attention(Buffer s, Buffer p) {
    return new Stmt.Attention(
        Stmt.Matmul.plain(MatrixOperand.rowMajor(Q, 3), MatrixOperand.rowMajor(K, 5),
            MatrixOperand.rowMajor(s, 5), 4, 5, 3, ACC),
        Stmt.Matmul.plain(MatrixOperand.rowMajor(p, 5), MatrixOperand.rowMajor(V, 2),
            MatrixOperand.rowMajor(O, 2), 4, 2, 5, ACC));
  }

  static LoopProgram program(Stmt body, Buffer s, Buffer p) {
    return new LoopProgram("a", ImmutableList.of(Q, K, V), ImmutableList.of(O), ImmutableMap.of(),
        s.role() == BufferRole.SCRATCH ? ImmutableList.of(s, p) : ImmutableList.of(p),
        ImmutableList.of(new Kernel("attention", ImmutableList.of(Q, K, V, s, p, O), body, "MatMul node 'm'")));
  }

  @Test
  void printsItsThreeStepsAndVerifies() {
    Stmt at = attention(S, P);
    assertEquals("""
        attention {
          matmul 4x5x3 %s[0; 5, 1] = %q[0; 3, 1] * %k[0; 5, 1] acc $acc: f32
          softmax rows %p[0; 5, 1] = %s[0; 5, 1]
          matmul 4x2x5 %o[0; 2, 1] = %p[0; 5, 1] * %v[0; 2, 1] acc $acc: f32
        }
        """, LoopPrinter.print(at));
    // The statement writes its intermediates and the output.
    assertEquals(List.of(), LoopVerifier.verify(program(at, S, P)));
  }

  @Test
  void intermediatesMustBeScratch() {
    Buffer s = Buffer.of("s", DType.F32, BufferRole.INPUT, 4, 5);
    LoopProgram p = new LoopProgram("a", ImmutableList.of(Q, K, V, s), ImmutableList.of(O), ImmutableMap.of(),
        ImmutableList.of(P), ImmutableList.of(new Kernel("attention", ImmutableList.of(Q, K, V, s, P, O),
            attention(s, P), "MatMul node 'm'")));
    assertEquals(true, LoopVerifier.verify(p).contains(
        "kernel attention: attention intermediate %s[0; 5, 1] is not a scratch buffer"), LoopVerifier.verify(p).toString());
  }

  @Test
  void theMatmulsMustChainThroughWholeRows() {
    assertThrows(IllegalArgumentException.class, () -> new Stmt.Attention(
        Stmt.Matmul.plain(MatrixOperand.rowMajor(Q, 3), MatrixOperand.rowMajor(K, 5),
            MatrixOperand.rowMajor(S, 5), 4, 5, 3, ACC),
        Stmt.Matmul.plain(MatrixOperand.rowMajor(P, 5), MatrixOperand.rowMajor(V, 2),
            MatrixOperand.rowMajor(O, 2), 4, 2, 4, ACC)));
    assertThrows(IllegalArgumentException.class, () -> new Stmt.Attention(
        Stmt.Matmul.plain(MatrixOperand.rowMajor(Q, 3), MatrixOperand.rowMajor(K, 5),
            new MatrixOperand(S, Exprs.index(0), 1, 4), 4, 5, 3, ACC),
        Stmt.Matmul.plain(MatrixOperand.rowMajor(P, 5), MatrixOperand.rowMajor(V, 2),
            MatrixOperand.rowMajor(O, 2), 4, 2, 5, ACC)));
  }
}
