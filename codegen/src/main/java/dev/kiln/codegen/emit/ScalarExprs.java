package dev.kiln.codegen.emit;

import static dev.kiln.codegen.emit.JavaTypes.NARROW;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.IndexRange;
import dev.kiln.ir.loop.Intrinsic;
import dev.kiln.ir.loop.IntrinsicMath;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.ops.elementwise.SpecialMath;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Scalar Java expressions for loop-IR expressions, with the loop-IR interpreter's semantics (see
 * {@link JavaTypes} for the representation of each dtype). Every subexpression is parenthesized,
 * so precedence never matters.
 */
final class ScalarExprs {
  private static final ClassName MATH = ClassName.get(Math.class);
  private static final ClassName SPECIAL = ClassName.get(SpecialMath.class);
  private static final ClassName INTRINSICS = ClassName.get(IntrinsicMath.class);

  private final Map<Buffer, String> arrays;
  private final Map<Buffer, String> offsets;
  private final Map<Buffer, Tensor> inlined;

  /**
   * @param arrays Java name of each buffer's array
   * @param offsets Java name of each buffer's base offset
   * @param inlined constant buffers whose (few) values are baked in as literals
   */
  ScalarExprs(Map<Buffer, String> arrays, Map<Buffer, String> offsets, Map<Buffer, Tensor> inlined) {
    this.arrays = arrays;
    this.offsets = offsets;
    this.inlined = inlined;
  }

  CodeBlock expr(Expr e, Env env) {
    DType t = e.type();
    return switch (e) {
      case Expr.IntConst c -> JavaTypes.intLiteral(t, c.value());
      case Expr.FloatConst c -> JavaTypes.realLiteral(t, c.value());
      case Var v -> CodeBlock.of("$L", env.var(v));
      case Local l -> CodeBlock.of("$L", env.local(l));
      case Expr.Load l -> load(l, env);
      case Expr.Binary b -> binary(b, env);
      case Expr.Unary u -> unary(u, env);
      case Expr.Call c -> call(c, env);
      case Expr.Cast c -> cast(c.to(), c.operand(), env);
      case Expr.Select s -> CodeBlock.of("($L ? $L : $L)", expr(s.condition(), env),
          expr(s.ifTrue(), env), expr(s.ifFalse(), env));
    };
  }

  private CodeBlock load(Expr.Load l, Env env) {
    Buffer b = l.buffer();
    Tensor data = inlined.get(b);
    if (data != null && b.size() == 1) {
      return b.dtype().isFloating()
          ? JavaTypes.realLiteral(b.dtype() == DType.F64 ? DType.F64 : DType.F32, data.getDouble(0))
          : b.dtype() == DType.BOOL ? JavaTypes.intLiteral(DType.BOOL, data.getLong(0))
          : JavaTypes.intLiteral(b.dtype(), data.getLong(0));
    }
    return JavaTypes.fromStorage(b.dtype(), element(b, l.indices(), env));
  }

  /** {@code array[offset + flat index]}. */
  CodeBlock element(Buffer b, List<Expr> indices, Env env) {
    return CodeBlock.of("$L[$L]", arrayName(b), index(b, indices, env));
  }

  String arrayName(Buffer b) {
    String name = arrays.get(b);
    if (name == null) {
      throw new IllegalArgumentException(b + " is used but is not among its kernel's buffers");
    }
    return name;
  }

  /** {@code offset + flat index} of an element. */
  CodeBlock index(Buffer b, List<Expr> indices, Env env) {
    return CodeBlock.of("$L + $L", offsets.get(b), flatIndex(b, indices, env));
  }

  /** Row-major flattened index; constant parts folded, strides as literals. */
  CodeBlock flatIndex(Buffer b, List<Expr> indices, Env env) {
    long[] strides = b.strides();
    long constant = 0;
    CodeBlock.Builder sum = CodeBlock.builder();
    boolean any = false;
    for (int d = 0; d < indices.size(); d++) {
      Expr i = indices.get(d);
      if (i instanceof Expr.IntConst c) {
        constant += c.value() * strides[d];
        continue;
      }
      if (any) {
        sum.add(" + ");
      }
      any = true;
      CodeBlock value = inBounds(i, b.dim(d), env) ? expr(i, env)
          : CodeBlock.of("$T.checkIndex($L, $L)", Objects.class, expr(i, env), b.dim(d));
      if (strides[d] == 1) {
        sum.add("$L", value);
      } else {
        sum.add("$L * $L", value, strides[d]);
      }
    }
    if (!any) {
      return CodeBlock.of("$L", constant);
    }
    if (constant != 0) {
      sum.add(" + $L", constant);
    }
    return CodeBlock.of("($L)", sum.build());
  }

  /**
   * Whether index {@code i} provably lies in {@code [0, dim)}. Otherwise (indices read from data,
   * as Gather's; or guarded ones, as padding's, whose guard the lazy {@code ?:} respects) the
   * generated code checks it, like the loop-IR interpreter: a bad index must fail, never read a
   * neighbouring buffer of the arena.
   */
  static boolean inBounds(Expr i, long dim, Env env) {
    return IndexRange.of(i, env.extents()).map(r -> r.min() >= 0 && r.max() < dim).orElse(false);
  }

  private CodeBlock binary(Expr.Binary b, Env env) {
    DType operands = b.lhs().type();
    CodeBlock x = expr(b.lhs(), env);
    CodeBlock y = expr(b.rhs(), env);
    if (operands == DType.BOOL && !isLogical(b.op())) {
      // Bools act as 0 and 1, as in the interpreter.
      CodeBlock xi = CodeBlock.of("($L ? 1 : 0)", x);
      CodeBlock yi = CodeBlock.of("($L ? 1 : 0)", y);
      return b.op().isComparison() ? compare(b.op(), xi, yi, DType.I32)
          : CodeBlock.of("($L != 0)", integerBinary(b.op(), xi, yi, DType.I32));
    }
    if (b.op().isComparison()) {
      return compare(b.op(), x, y, operands);
    }
    if (operands.isFloating()) {
      return switch (b.op()) {
        case ADD -> CodeBlock.of("($L + $L)", x, y);
        case SUB -> CodeBlock.of("($L - $L)", x, y);
        case MUL -> CodeBlock.of("($L * $L)", x, y);
        case DIV -> CodeBlock.of("($L / $L)", x, y);
        case REM -> CodeBlock.of("($L % $L)", x, y);
        case MIN -> CodeBlock.of("$T.min($L, $L)", MATH, x, y);
        case MAX -> CodeBlock.of("$T.max($L, $L)", MATH, x, y);
        default -> throw new IllegalArgumentException(b.op() + " on reals: " + b);
      };
    }
    if (operands == DType.BOOL) {
      return CodeBlock.of("($L $L $L)", x, b.op() == BinaryOp.AND ? "&" : b.op() == BinaryOp.OR ? "|" : "^", y);
    }
    if ((b.op() == BinaryOp.FLOOR_DIV || b.op() == BinaryOp.FLOOR_MOD) && operands != DType.U64
        && b.rhs() instanceof Expr.IntConst d && d.value() > 0) {
      // A dividend known non-negative (the unflattened index of a loop, as most are): Java's / and
      // % are floorDiv and floorMod there, and bytecodes rather than calls, which C2 stops
      // inlining in a large method (NodeCountInliningCutoff) and then cannot hoist.
      java.util.Optional<IndexRange> r = IndexRange.of(b.lhs(), env.extents());
      if (r.isPresent() && r.get().min() >= 0) {
        if (r.get().max() < d.value()) {
          return b.op() == BinaryOp.FLOOR_MOD ? x : JavaTypes.intLiteral(operands, 0);
        }
        return integerBinary(b.op() == BinaryOp.FLOOR_MOD ? BinaryOp.REM : BinaryOp.DIV, x, y, operands);
      }
    }
    return integerBinary(b.op(), x, y, operands);
  }

  private static boolean isLogical(BinaryOp op) {
    return op == BinaryOp.AND || op == BinaryOp.OR || op == BinaryOp.XOR || op == BinaryOp.EQ
        || op == BinaryOp.NE;
  }

  private static CodeBlock integerBinary(BinaryOp op, CodeBlock x, CodeBlock y, DType t) {
    boolean u64 = t == DType.U64;
    CodeBlock raw = switch (op) {
      case ADD -> CodeBlock.of("($L + $L)", x, y);
      case SUB -> CodeBlock.of("($L - $L)", x, y);
      case MUL -> CodeBlock.of("($L * $L)", x, y);
      case DIV -> u64 ? CodeBlock.of("$T.divideUnsigned($L, $L)", Long.class, x, y)
          : CodeBlock.of("($L / $L)", x, y);
      case REM -> u64 ? CodeBlock.of("$T.remainderUnsigned($L, $L)", Long.class, x, y)
          : CodeBlock.of("($L % $L)", x, y);
      case FLOOR_DIV -> CodeBlock.of("$T.floorDiv($L, $L)", MATH, x, y);
      case FLOOR_MOD -> CodeBlock.of("$T.floorMod($L, $L)", MATH, x, y);
      case MIN -> u64 ? CodeBlock.of("$T.minUnsigned($L, $L)", NARROW, x, y)
          : CodeBlock.of("$T.min($L, $L)", MATH, x, y);
      case MAX -> u64 ? CodeBlock.of("$T.maxUnsigned($L, $L)", NARROW, x, y)
          : CodeBlock.of("$T.max($L, $L)", MATH, x, y);
      case AND -> CodeBlock.of("($L & $L)", x, y);
      case OR -> CodeBlock.of("($L | $L)", x, y);
      case XOR -> CodeBlock.of("($L ^ $L)", x, y);
      default -> throw new IllegalArgumentException(op + " is not arithmetic");
    };
    boolean exact = op == BinaryOp.MIN || op == BinaryOp.MAX;
    return exact || JavaTypes.wrapsNaturally(t) ? raw : JavaTypes.wrap(t, raw);
  }

  private static CodeBlock compare(BinaryOp op, CodeBlock x, CodeBlock y, DType operands) {
    if (operands == DType.U64) {
      return CodeBlock.of("($T.compareUnsigned($L, $L) $L 0)", Long.class, x, y, javaComparison(op));
    }
    return CodeBlock.of("($L $L $L)", x, javaComparison(op), y);
  }

  private static String javaComparison(BinaryOp op) {
    return switch (op) {
      case LT -> "<";
      case LE -> "<=";
      case GT -> ">";
      case GE -> ">=";
      case EQ -> "==";
      case NE -> "!=";
      default -> throw new IllegalArgumentException(op + " is not a comparison");
    };
  }

  private CodeBlock unary(Expr.Unary u, Env env) {
    DType t = u.type();
    CodeBlock x = expr(u.operand(), env);
    return switch (u.op()) {
      case NEG -> t.isFloating() ? CodeBlock.of("(-$L)", x)
          : t == DType.BOOL ? x
          : JavaTypes.wrapsNaturally(t) ? CodeBlock.of("(-$L)", x) : JavaTypes.wrap(t, CodeBlock.of("(-$L)", x));
      case NOT -> t == DType.BOOL ? CodeBlock.of("(!$L)", x)
          : JavaTypes.wrapsNaturally(t) ? CodeBlock.of("(~$L)", x) : JavaTypes.wrap(t, CodeBlock.of("(~$L)", x));
    };
  }

  private CodeBlock call(Expr.Call c, Env env) {
    DType t = c.type();
    List<CodeBlock> args = c.args().stream().map(a -> expr(a, env)).toList();
    if (!t.isFloating()) {
      CodeBlock abs = CodeBlock.of("$T.abs($L)", MATH, args.get(0));
      return JavaTypes.wrapsNaturally(t) ? abs : JavaTypes.wrap(t, abs);
    }
    CodeBlock a = args.get(0);
    CodeBlock value = switch (c.fn()) {
      case EXP, LOG, SQRT, TANH, SIN, COS, TAN, ASIN, ACOS, ATAN, SINH, COSH, FLOOR, CEIL, ABS ->
          CodeBlock.of("$T.$L((double) $L)", MATH, c.fn().text(), a);
      case ROUND_EVEN -> CodeBlock.of("$T.rint((double) $L)", MATH, a);
      case ERF, ASINH, ACOSH, ATANH -> CodeBlock.of("$T.$L((double) $L)", SPECIAL, c.fn().text(), a);
      case SIGMOID -> CodeBlock.of("$T.sigmoid((double) $L)", INTRINSICS, a);
      case IS_NAN -> CodeBlock.of("($T.isNaN($L) ? 1.0 : 0.0)", Double.class, a);
      case POW -> CodeBlock.of("$T.pow((double) $L, (double) $L)", MATH, a, args.get(1));
      case FMA -> t == DType.F32 ? CodeBlock.of("$T.fma($L, $L, $L)", MATH, a, args.get(1), args.get(2))
          : CodeBlock.of("$T.fma((double) $L, (double) $L, (double) $L)", MATH, a, args.get(1), args.get(2));
    };
    return t == DType.F64 ? value : CodeBlock.of("((float) $L)", value);
  }

  /** Conversions like ONNX Cast, as the interpreter does them. */
  CodeBlock cast(DType to, Expr operand, Env env) {
    DType from = operand.type();
    CodeBlock x = expr(operand, env);
    if (from == to) {
      return x;
    }
    if (from == DType.BOOL) {
      return to.isFloating() ? JavaTypes.roundReal(to, CodeBlock.of("($L ? 1.0 : 0.0)", x), DType.F64)
          : JavaTypes.wrap(to, CodeBlock.of("($L ? 1 : 0)", x));
    }
    if (to == DType.BOOL) {
      return CodeBlock.of("($L != 0)", x);
    }
    if (from.isFloating()) {
      return to.isFloating() ? JavaTypes.roundReal(to, x, from)
          : JavaTypes.wrap(to, CodeBlock.of("((long) $L)", x));
    }
    if (to.isFloating()) {
      CodeBlock asDouble = from == DType.U64 ? CodeBlock.of("$T.unsignedToDouble($L)", NARROW, x)
          : CodeBlock.of("((double) $L)", x);
      return JavaTypes.roundReal(to, asDouble, DType.F64);
    }
    return JavaTypes.wrap(to, x);
  }
}
