package dev.kiln.ir.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.type.DType;
import org.junit.jupiter.api.Test;

class ExprsTest {
  static final Local ACC = new Local("acc", DType.F32);
  static final Local BIAS = new Local("bias", DType.F32);

  @Test
  void operationsCountArithmeticAndWeighMathFunctions() {
    Expr biased = Exprs.add(ACC, BIAS);
    Expr relu6 = Exprs.binary(BinaryOp.MIN, Exprs.binary(BinaryOp.MAX, biased, Exprs.constant(DType.F32, 0)),
        Exprs.constant(DType.F32, 6));
    assertEquals(0, Exprs.operations(ACC));
    assertEquals(0, Exprs.operations(Exprs.load(LoopIrTest.X, new Var("i"), new Var("j"))));
    assertEquals(1, Exprs.operations(biased));
    assertEquals(3, Exprs.operations(relu6));
    assertEquals(2, Exprs.operations(Exprs.call(Intrinsic.ABS, biased)));
    assertEquals(1 + Exprs.MATH_CALL_OPERATIONS, Exprs.operations(Exprs.call(Intrinsic.TANH, biased)));
    assertEquals(3, Exprs.operations(new Expr.Select(new Expr.Binary(BinaryOp.LT, ACC, BIAS), biased, ACC)));
    assertEquals(2, Exprs.operations(new Expr.Unary(UnaryOp.NEG, new Expr.Cast(DType.F64, ACC))));
  }
}
