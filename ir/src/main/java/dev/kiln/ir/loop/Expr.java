package dev.kiln.ir.loop;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.type.DType;
import java.util.List;

/**
 * A loop-IR expression: index arithmetic and scalar computation. Immutable; structural equality.
 * Every expression has a type; index expressions are {@code i32}. Constructors check typing, so
 * an ill-typed expression cannot be built (a lowering bug fails where it is made).
 */
public sealed interface Expr
    permits Expr.IntConst, Expr.FloatConst, Var, Local, Expr.Binary, Expr.Unary, Expr.Call,
        Expr.Load, Expr.Cast, Expr.Select {

  DType type();

  /** An integer or bool constant of the given type. */
  record IntConst(DType type, long value) implements Expr {
    public IntConst {
      checkArgument(!type.isFloating(), "IntConst of real type %s", type);
    }

    @Override
    public String toString() {
      return type == DType.I32 ? Long.toString(value)
          : type == DType.BOOL ? (value != 0 ? "true" : "false")
          : value + ":" + type.text();
    }
  }

  /** A real constant of the given floating type (its value is rounded to that type). */
  record FloatConst(DType type, double value) implements Expr {
    public FloatConst {
      checkArgument(type.isFloating(), "FloatConst of non-real type %s", type);
    }

    // Compare bits so NaN constants equal themselves and 0.0 differs from -0.0.
    @Override
    public boolean equals(Object o) {
      return o instanceof FloatConst f && f.type == type
          && Double.doubleToLongBits(f.value) == Double.doubleToLongBits(value);
    }

    @Override
    public int hashCode() {
      return type.hashCode() * 31 + Double.hashCode(value);
    }

    @Override
    public String toString() {
      return (type == DType.F32 ? Float.toString((float) value) : Double.toString(value))
          + ":" + type.text();
    }
  }

  record Binary(BinaryOp op, Expr lhs, Expr rhs) implements Expr {
    public Binary {
      checkArgument(lhs.type() == rhs.type(),
          "operands of %s differ in type: %s (%s) and %s (%s)", op, lhs, lhs.type(), rhs, rhs.type());
      checkArgument(!((op == BinaryOp.FLOOR_DIV || op == BinaryOp.FLOOR_MOD) && lhs.type().isFloating()),
          "%s needs integers, got %s", op, lhs.type());
    }

    @Override
    public DType type() {
      return op.isComparison() ? DType.BOOL : lhs.type();
    }

    @Override
    public String toString() {
      return op.isFunctionLike() ? op.symbol() + "(" + lhs + ", " + rhs + ")"
          : "(" + lhs + " " + op.symbol() + " " + rhs + ")";
    }
  }

  record Unary(UnaryOp op, Expr operand) implements Expr {
    @Override
    public DType type() {
      return operand.type();
    }

    @Override
    public String toString() {
      return op.symbol() + operand;
    }
  }

  record Call(Intrinsic fn, ImmutableList<Expr> args) implements Expr {
    public Call {
      args = ImmutableList.copyOf(args);
      checkArgument(args.size() == fn.arity(), "%s takes %s arguments, got %s", fn, fn.arity(), args.size());
      for (Expr a : args) {
        checkArgument(a.type() == args.get(0).type(), "arguments of %s differ in type: %s", fn, args);
        checkArgument(a.type().isFloating() || fn == Intrinsic.ABS,
            "%s needs real arguments, got %s", fn, a.type());
      }
    }

    @Override
    public DType type() {
      return args.get(0).type();
    }

    @Override
    public String toString() {
      // Join rather than rewrite the list's brackets: arguments may be loads, which print [..].
      return fn.text() + args.stream().map(Expr::toString)
          .collect(java.util.stream.Collectors.joining(", ", "(", ")"));
    }
  }

  /** Reads {@code buffer[indices...]}; one i32 index per dimension. */
  record Load(Buffer buffer, ImmutableList<Expr> indices) implements Expr {
    public Load {
      indices = ImmutableList.copyOf(indices);
      checkIndices(buffer, indices);
    }

    @Override
    public DType type() {
      return buffer.dtype();
    }

    @Override
    public String toString() {
      return buffer + indices.toString();
    }
  }

  /** Converts like ONNX {@code Cast}: reals to integers truncate, anything non-zero to true. */
  record Cast(DType to, Expr operand) implements Expr {
    @Override
    public DType type() {
      return to;
    }

    @Override
    public String toString() {
      return to.text() + "(" + operand + ")";
    }
  }

  record Select(Expr condition, Expr ifTrue, Expr ifFalse) implements Expr {
    public Select {
      checkArgument(condition.type() == DType.BOOL, "select condition must be bool, got %s", condition.type());
      checkArgument(ifTrue.type() == ifFalse.type(),
          "select branches differ in type: %s and %s", ifTrue.type(), ifFalse.type());
    }

    @Override
    public DType type() {
      return ifTrue.type();
    }

    @Override
    public String toString() {
      return "select(" + condition + ", " + ifTrue + ", " + ifFalse + ")";
    }
  }

  static void checkIndices(Buffer buffer, List<Expr> indices) {
    checkArgument(indices.size() == buffer.rank(),
        "%s has rank %s but is indexed with %s", buffer, buffer.rank(), indices);
    for (Expr i : indices) {
      checkArgument(i.type() == DType.I32, "index %s of %s is %s, not i32", i, buffer, i.type());
    }
  }
}
