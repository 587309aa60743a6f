package dev.kiln.ir.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.type.DType;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LaneReductionTest {
  private static final Buffer X = Buffer.of("x", DType.F32, BufferRole.INPUT, 8);
  private static final Var J = new Var("j");
  private static final Local ACC = new Local("acc", DType.F32);

  @Test
  void sumsMaxAndMinEitherSideAreReductionSteps() {
    Expr x = Exprs.load(X, J);
    assertEquals(Optional.of(new LaneReduction(ACC, BinaryOp.ADD, x)),
        LaneReduction.of(new Stmt.Assign(ACC, Exprs.add(ACC, x))));
    assertEquals(Optional.of(new LaneReduction(ACC, BinaryOp.MAX, x)),
        LaneReduction.of(new Stmt.Assign(ACC, new Expr.Binary(BinaryOp.MAX, x, ACC))));
    assertEquals(Float.NEGATIVE_INFINITY, LaneReduction.of(
        new Stmt.Assign(ACC, new Expr.Binary(BinaryOp.MAX, x, ACC))).get().identity());
    assertEquals(Float.POSITIVE_INFINITY, LaneReduction.of(
        new Stmt.Assign(ACC, new Expr.Binary(BinaryOp.MIN, ACC, x))).get().identity());
    assertEquals(0f, LaneReduction.of(new Stmt.Assign(ACC, Exprs.add(x, ACC))).get().identity());
  }

  @Test
  void otherStepsAreNot() {
    Expr x = Exprs.load(X, J);
    // A product, an operand that reads the accumulator again, a store, an integer sum.
    assertTrue(LaneReduction.of(new Stmt.Assign(ACC, Exprs.mul(ACC, x))).isEmpty());
    assertTrue(LaneReduction.of(new Stmt.Assign(ACC, Exprs.add(ACC, Exprs.mul(ACC, x)))).isEmpty());
    assertTrue(LaneReduction.of(new Stmt.Store(X, com.google.common.collect.ImmutableList.of(J), ACC)).isEmpty());
    Local i = new Local("i", DType.I32);
    assertTrue(LaneReduction.of(new Stmt.Assign(i, Exprs.add(i, J))).isEmpty());
    assertTrue(LaneReduction.of(new Stmt.Block(com.google.common.collect.ImmutableList.of(
        new Stmt.Assign(ACC, Exprs.add(ACC, x))))).isEmpty());
  }
}
