package dev.kiln.runtime.loop;

import static dev.kiln.ir.loop.Exprs.index;
import static dev.kiln.ir.loop.Exprs.load;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoopInterpreterTest {
  static final Var I = new Var("i");
  static final Var J = new Var("j");
  static final Var K = new Var("k");

  /** C[i, j] = sum_k A[i, k] * B[k, j], with a local accumulator. */
  static LoopProgram matmul(Buffer a, Buffer b, Buffer c) {
    Local acc = new Local("acc", c.dtype());
    Stmt body = new Stmt.For(I, c.dim(0), LoopKind.PARALLEL, new Stmt.For(J, c.dim(1), LoopKind.SERIAL,
        Stmt.Block.of(
            new Stmt.Let(acc, Exprs.constant(c.dtype(), 0)),
            new Stmt.For(K, a.dim(1), LoopKind.SERIAL, new Stmt.Assign(acc,
                Exprs.add(acc, Exprs.mul(load(a, I, K), load(b, K, J))))),
            new Stmt.Store(c, ImmutableList.of(I, J), acc))));
    return new LoopProgram("mm", ImmutableList.of(a, b), ImmutableList.of(c), ImmutableMap.of(),
        ImmutableList.of(), ImmutableList.of(new Kernel("mm", ImmutableList.of(a, b, c), body, "MatMul")));
  }

  @Test
  void runsAMatmulWithAnAccumulator() {
    Buffer a = Buffer.of("a", DType.F32, BufferRole.INPUT, 2, 3);
    Buffer b = Buffer.of("b", DType.F32, BufferRole.INPUT, 3, 2);
    Buffer c = Buffer.of("c", DType.F32, BufferRole.OUTPUT, 2, 2);
    Map<String, Tensor> out = LoopInterpreter.run(matmul(a, b, c), Map.of(
        "a", Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6),
        "b", Tensor.ofFloats(new long[] {3, 2}, 7, 8, 9, 10, 11, 12)));
    assertArrayEquals(new float[] {58, 64, 139, 154}, out.get("c").toFloatArray());
  }

  @Test
  void f32ArithmeticRoundsEveryOperation() {
    // 1 + 2^-30 is 1 in f32: accumulating it 4 times in float gives exactly 1, not 1 + 2^-28.
    Buffer a = Buffer.of("a", DType.F32, BufferRole.INPUT, 1, 4);
    Buffer b = Buffer.of("b", DType.F32, BufferRole.INPUT, 4, 1);
    Buffer c = Buffer.of("c", DType.F32, BufferRole.OUTPUT, 1, 1);
    float tiny = (float) Math.pow(2, -30);
    Map<String, Tensor> out = LoopInterpreter.run(matmul(a, b, c), Map.of(
        "a", Tensor.ofFloats(new long[] {1, 4}, 1, 1, 1, 1),
        "b", Tensor.ofFloats(new long[] {4, 1}, 1, tiny, tiny, tiny)));
    assertEquals(1.0f, out.get("c").toFloatArray()[0]);
  }

  @Test
  void integersWrapToTheirWidth() {
    Buffer a = Buffer.of("a", DType.I8, BufferRole.INPUT, 1, 2);
    Buffer b = Buffer.of("b", DType.I8, BufferRole.INPUT, 2, 1);
    Buffer c = Buffer.of("c", DType.I8, BufferRole.OUTPUT, 1, 1);
    Map<String, Tensor> out = LoopInterpreter.run(matmul(a, b, c), Map.of(
        "a", Tensor.ofLongs(DType.I8, new long[] {1, 2}, 100, 100),
        "b", Tensor.ofLongs(DType.I8, new long[] {2, 1}, 1, 1)));
    assertEquals(-56, out.get("c").getLong(0)); // 200 wraps to -56 in i8
  }

  @Test
  void outOfBoundsAccessIsCaughtWithTheIndex() {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, 4);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 4);
    Stmt body = new Stmt.For(I, 4, LoopKind.SERIAL, new Stmt.Store(y, ImmutableList.of(I),
        load(x, Exprs.add(I, index(1)))));
    LoopProgram p = new LoopProgram("shift", ImmutableList.of(x), ImmutableList.of(y), ImmutableMap.of(),
        ImmutableList.of(), ImmutableList.of(new Kernel("shift", ImmutableList.of(x, y), body, "")));
    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
        () -> LoopInterpreter.run(p, Map.of("x", Tensor.ofFloats(new long[] {4}, 1, 2, 3, 4))));
    assertEquals("index (i + 1) = 4 of %x dim 0 is outside [0, 4)", e.getMessage());
  }

  @Test
  void selectGuardsAndCastsFollowOnnx() {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, 3);
    Buffer y = Buffer.of("y", DType.I32, BufferRole.OUTPUT, 3);
    Expr v = load(x, I);
    Expr positive = new Expr.Binary(BinaryOp.GT, v, new Expr.FloatConst(DType.F32, 0));
    Stmt body = new Stmt.For(I, 3, LoopKind.SERIAL, new Stmt.Store(y, ImmutableList.of(I),
        Exprs.select(positive, Exprs.cast(DType.I32, v), index(-1))));
    LoopProgram p = new LoopProgram("p", ImmutableList.of(x), ImmutableList.of(y), ImmutableMap.of(),
        ImmutableList.of(), ImmutableList.of(new Kernel("p", ImmutableList.of(x, y), body, "")));
    Tensor out = LoopInterpreter.run(p, Map.of("x", Tensor.ofFloats(new long[] {3}, 2.9f, -5f, 7.5f))).get("y");
    assertArrayEquals(new long[] {2, -1, 7}, out.toLongArray());
  }
}
