package dev.kiln.ir.loop;

import static dev.kiln.ir.loop.Exprs.index;
import static dev.kiln.ir.loop.Exprs.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.type.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoopIrTest {
  static final Buffer X = Buffer.of("x", DType.F32, BufferRole.INPUT, 4, 8);
  static final Buffer Y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 4, 8);
  static final Var I = new Var("i");
  static final Var J = new Var("j");

  static Kernel relu(Stmt body) {
    return new Kernel("relu", ImmutableList.of(X, Y), body, "Relu node 'r'");
  }

  static Stmt reluBody(LoopKind inner) {
    Expr v = load(X, I, J);
    return new Stmt.For(I, 4, LoopKind.PARALLEL, new Stmt.For(J, 8, inner,
        new Stmt.Store(Y, ImmutableList.of(I, J),
            new Expr.Binary(BinaryOp.MAX, v, new Expr.FloatConst(DType.F32, 0)))));
  }

  @Test
  void printsAProgram() {
    LoopProgram p = new LoopProgram("m", ImmutableList.of(X), ImmutableList.of(Y), ImmutableMap.of(),
        ImmutableList.of(), ImmutableList.of(relu(reluBody(LoopKind.VECTORIZED))));
    assertEquals("""
        program m(in %x: f32[4, 8]) -> (out %y: f32[4, 8]) {
          kernel relu @"Relu node 'r'"(in %x, out %y) {
            parallel for i in 0..4 {
              vectorized for j in 0..8 {
                %y[i, j] = max(%x[i, j], 0.0:f32)
              }
            }
          }
        }
        """, p.toString());
    assertEquals(List.of(), LoopVerifier.verify(p));
  }

  @Test
  void verifierFindsOutOfBoundsUnboundAndReadOnlyWrites() {
    Stmt bad = new Stmt.For(I, 5, LoopKind.SERIAL, Stmt.Block.of(
        new Stmt.Store(Y, ImmutableList.of(I, J), load(X, I, Exprs.add(J, index(1)))),
        new Stmt.Store(X, ImmutableList.of(index(0), index(0)), load(Y, index(0), index(0)))));
    assertEquals(List.of(
        "kernel relu: index i of %y dim 0 ranges over [0, 4] but the dim is 4",
        "kernel relu: uses loop variable j outside its loop",
        "kernel relu: index i of %x dim 0 ranges over [0, 4] but the dim is 4",
        "kernel relu: uses loop variable j outside its loop",
        "kernel relu: stores into in buffer %x"), LoopVerifier.verify(relu(bad)));
  }

  @Test
  void guardedLoadsAreNotBoundsChecked() {
    // Padding: x[i - 1, j] only when i >= 1, the way convolution lowers its borders.
    Expr inside = new Expr.Binary(BinaryOp.GE, I, index(1));
    Stmt body = new Stmt.For(I, 4, LoopKind.SERIAL, new Stmt.For(J, 8, LoopKind.SERIAL,
        new Stmt.Store(Y, ImmutableList.of(I, J), Exprs.select(inside,
            load(X, Exprs.sub(I, index(1)), J), new Expr.FloatConst(DType.F32, 0)))));
    assertEquals(List.of(), LoopVerifier.verify(relu(body)));
  }

  @Test
  void localsMustBeDeclaredAndLoopVarsBoundOnce() {
    Local acc = new Local("acc", DType.F32);
    Stmt body = new Stmt.For(I, 4, LoopKind.SERIAL, Stmt.Block.of(
        new Stmt.Assign(acc, load(X, I, index(0))),
        new Stmt.For(I, 2, LoopKind.SERIAL, new Stmt.Let(acc, load(X, I, index(1)))),
        new Stmt.Store(Y, ImmutableList.of(I, index(0)), acc)));
    assertEquals(List.of(
        "kernel relu: assigns $acc before declaring it",
        "kernel relu: loop variable i is bound twice",
        "kernel relu: uses $acc before declaring it"), LoopVerifier.verify(relu(body)));
  }

  @Test
  void illTypedExpressionsCannotBeBuilt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Expr.Binary(BinaryOp.ADD, I, new Expr.FloatConst(DType.F32, 1)));
    assertEquals("operands of ADD differ in type: i (i32) and 1.0:f32 (f32)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> load(X, I));
    assertEquals("%x has rank 2 but is indexed with [i]", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new Stmt.Store(Y, ImmutableList.of(I, J), index(0)));
    assertEquals("storing 0 (i32) into %y of f32", e.getMessage());
  }

  @Test
  void indexRangesFollowAffineArithmetic() {
    var extents = java.util.Map.of(I, 4L, J, 8L);
    assertEquals(new IndexRange(0, 31), IndexRange.of(Exprs.add(Exprs.mul(I, index(8)), J), extents).get());
    assertEquals(new IndexRange(-1, 2), IndexRange.of(Exprs.sub(I, index(1)), extents).get());
    assertEquals(new IndexRange(0, 3), IndexRange.of(
        new Expr.Binary(BinaryOp.FLOOR_MOD, J, index(4)), extents).get());
    assertEquals(new IndexRange(0, 1), IndexRange.of(
        new Expr.Binary(BinaryOp.FLOOR_DIV, I, index(2)), extents).get());
  }

  @Test
  void hostileNamesAreQuotedInText() {
    Buffer b = Buffer.of("a\"b */ \n", DType.F32, BufferRole.SCRATCH, 1);
    assertEquals("scratch %\"a\\\"b */ \\n\": f32[1]", b.declaration());
  }
}
