package dev.kiln.passes.lower;

import static dev.kiln.ir.loop.Exprs.index;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.type.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The building blocks every lowering shares: loop nests over a shape (normalized, serial:
 * schedules choose kinds later), broadcast indexing, and row-major index arithmetic in i32.
 */
public final class Nests {
  private Nests() {}

  /** One fresh loop variable per dim: {@code i0, i1, ...} (or {@code prefix0, ...}). */
  public static List<Var> vars(LoweringContext ctx, String prefix, int rank) {
    List<Var> vars = new ArrayList<>();
    for (int d = 0; d < rank; d++) {
      vars.add(ctx.var(prefix + d));
    }
    return vars;
  }

  /** {@code for vars[0] in 0..extents[0] { for vars[1] ... { body } }}. */
  public static Stmt nest(List<Var> vars, long[] extents, Stmt body) {
    Stmt s = body;
    for (int d = vars.size() - 1; d >= 0; d--) {
      s = new Stmt.For(vars.get(d), extents[d], LoopKind.SERIAL, s);
    }
    return s;
  }

  public static Stmt loop(Var var, long extent, Stmt body) {
    return new Stmt.For(var, extent, LoopKind.SERIAL, body);
  }

  /** A nest over the whole of {@code out} storing {@code value(indices)} at every element. */
  public static Stmt pointwise(LoweringContext ctx, Buffer out, Function<List<Var>, Expr> value) {
    List<Var> vars = vars(ctx, "i", out.rank());
    return nest(vars, out.shapeArray(), store(out, vars, value.apply(vars)));
  }

  public static Stmt store(Buffer out, List<? extends Expr> indices, Expr value) {
    return new Stmt.Store(out, ImmutableList.copyOf(indices), value);
  }

  /**
   * The indices of {@code in} that NumPy broadcasting reads for output indices {@code outIndices}:
   * right-aligned, with dims of size 1 fixed at 0.
   */
  public static List<Expr> broadcast(List<? extends Expr> outIndices, Buffer in) {
    int offset = outIndices.size() - in.rank();
    List<Expr> indices = new ArrayList<>();
    for (int d = 0; d < in.rank(); d++) {
      indices.add(in.dim(d) == 1 ? index(0) : outIndices.get(offset + d));
    }
    return indices;
  }

  public static Expr loadBroadcast(Buffer in, List<? extends Expr> outIndices) {
    return Exprs.load(in, broadcast(outIndices, in));
  }

  /** The one element of a scalar-like buffer (rank 0, or every dim 1). */
  public static Expr loadScalar(Buffer b) {
    List<Expr> zeros = new ArrayList<>();
    for (int d = 0; d < b.rank(); d++) {
      zeros.add(index(0));
    }
    return Exprs.load(b, zeros);
  }

  /** The row-major flat offset of {@code indices} in {@code shape}. */
  public static Expr flatten(List<? extends Expr> indices, long[] shape) {
    Expr flat = index(0);
    for (int d = 0; d < shape.length; d++) {
      flat = Exprs.add(Exprs.mul(flat, index(shape[d])), indices.get(d));
    }
    return flat;
  }

  /** The row-major indices in {@code shape} of flat offset {@code flat} (in range). */
  public static List<Expr> unflatten(Expr flat, long[] shape) {
    List<Expr> indices = new ArrayList<>();
    long stride = 1;
    long[] strides = new long[shape.length];
    for (int d = shape.length - 1; d >= 0; d--) {
      strides[d] = stride;
      stride *= shape[d];
    }
    for (int d = 0; d < shape.length; d++) {
      if (shape[d] == 1) {
        indices.add(index(0));
        continue;
      }
      Expr i = strides[d] == 1 ? flat : floorDiv(flat, index(strides[d]));
      indices.add(d == 0 ? i : floorMod(i, index(shape[d])));
    }
    return indices;
  }

  public static Expr floorDiv(Expr a, Expr b) {
    return new Expr.Binary(BinaryOp.FLOOR_DIV, a, b);
  }

  public static Expr floorMod(Expr a, Expr b) {
    return new Expr.Binary(BinaryOp.FLOOR_MOD, a, b);
  }

  public static Expr binary(BinaryOp op, Expr a, Expr b) {
    return Exprs.binary(op, a, b);
  }

  public static Expr div(Expr a, Expr b) {
    return new Expr.Binary(BinaryOp.DIV, a, b);
  }

  public static Expr gt(Expr a, Expr b) {
    return new Expr.Binary(BinaryOp.GT, a, b);
  }

  public static Expr ge(Expr a, Expr b) {
    return new Expr.Binary(BinaryOp.GE, a, b);
  }

  public static Expr eq(Expr a, Expr b) {
    return new Expr.Binary(BinaryOp.EQ, a, b);
  }

  public static Expr ne(Expr a, Expr b) {
    return new Expr.Binary(BinaryOp.NE, a, b);
  }

  public static Expr min(Expr a, Expr b) {
    return new Expr.Binary(BinaryOp.MIN, a, b);
  }

  public static Expr max(Expr a, Expr b) {
    return new Expr.Binary(BinaryOp.MAX, a, b);
  }

  /** {@code 0 <= i < size}. */
  public static Expr inRange(Expr i, long size) {
    return Exprs.and(ge(i, index(0)), Exprs.lt(i, index(size)));
  }

  /** A constant of {@code type}: real, integer or bool. */
  public static Expr constant(DType type, double value) {
    return Exprs.constant(type, value);
  }

  /** A constant of an integer or bool {@code type} from its exact long value. */
  public static Expr longConstant(DType type, long value) {
    return type.isFloating() ? new Expr.FloatConst(type, value) : new Expr.IntConst(type, value);
  }

  /** The conjunction of conditions; {@code true} when there are none. */
  public static Expr all(List<Expr> conditions) {
    Expr c = new Expr.IntConst(DType.BOOL, 1);
    for (int i = 0; i < conditions.size(); i++) {
      c = i == 0 ? conditions.get(0) : Exprs.and(c, conditions.get(i));
    }
    return c;
  }
}
