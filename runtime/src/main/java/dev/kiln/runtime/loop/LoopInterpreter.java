package dev.kiln.runtime.loop;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.ConvGeometry;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Intrinsic;
import dev.kiln.ir.loop.IntrinsicMath;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.MatrixOperand;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs loop IR directly, statement by statement: the oracle for lowering and for schedules, which
 * must leave results unchanged, independently of code generation.
 *
 * <p>Semantics, which generated code must match: integer arithmetic wraps to the type's width;
 * reals are computed in double and rounded to the expression's type after every operation (for
 * f32 this equals float arithmetic); f16 and bf16 arithmetic is done in f32 and rounded to the
 * narrow type only by casts and stores; parallel and vectorized loops run in order (their
 * iterations must be independent, so the order cannot matter). Slow by design: for tests.
 */
public final class LoopInterpreter {
  private final Map<Buffer, double[]> reals = new HashMap<>();
  private final Map<Buffer, long[]> ints = new HashMap<>();
  private final Map<Var, Long> vars = new HashMap<>();
  private final Map<Local, Double> realLocals = new HashMap<>();
  private final Map<Local, Long> intLocals = new HashMap<>();

  private LoopInterpreter() {}

  /** Runs a program on inputs given by input buffer name; returns outputs by name, in order. */
  public static Map<String, Tensor> run(LoopProgram program, Map<String, Tensor> inputs) {
    LoopInterpreter interp = new LoopInterpreter();
    for (Buffer in : program.inputs()) {
      Tensor t = inputs.get(in.name());
      if (t == null) {
        throw new IllegalArgumentException("no value for input " + in);
      }
      if (t.dtype() != in.dtype() || !Arrays.equals(t.shape(), in.shapeArray())) {
        throw new IllegalArgumentException("input " + in + " is " + in.dtype()
            + Arrays.toString(in.shapeArray()) + ", got " + t.type());
      }
      interp.load(in, t);
    }
    program.constants().forEach(interp::load);
    for (Buffer b : program.scratch()) {
      interp.allocate(b);
    }
    for (Buffer b : program.outputs()) {
      interp.allocate(b);
    }
    for (Kernel k : program.kernels()) {
      try {
        interp.exec(k.body());
      } catch (ArithmeticException e) {
        throw new ArithmeticException("kernel " + k.name() + " (" + k.source() + "): " + e.getMessage());
      }
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Buffer b : program.outputs()) {
      out.put(b.name(), interp.toTensor(b));
    }
    return out;
  }

  private void load(Buffer b, Tensor t) {
    allocate(b);
    if (b.dtype().isFloating()) {
      double[] a = reals.get(b);
      for (int i = 0; i < a.length; i++) {
        a[i] = t.getDouble(i);
      }
    } else {
      long[] a = ints.get(b);
      for (int i = 0; i < a.length; i++) {
        a[i] = t.getLong(i);
      }
    }
  }

  private void allocate(Buffer b) {
    if (b.dtype().isFloating()) {
      reals.putIfAbsent(b, new double[b.size()]);
    } else {
      ints.putIfAbsent(b, new long[b.size()]);
    }
  }

  private Tensor toTensor(Buffer b) {
    TensorWriter w = TensorWriter.of(b.dtype(), b.shapeArray());
    for (int i = 0; i < b.size(); i++) {
      if (b.dtype().isFloating()) {
        w.setDouble(i, reals.get(b)[i]);
      } else {
        w.setLong(i, ints.get(b)[i]);
      }
    }
    return w.build();
  }

  private void exec(Stmt s) {
    switch (s) {
      case Stmt.For f -> {
        for (long i = 0; i < f.extent(); i++) {
          vars.put(f.var(), i);
          exec(f.body());
        }
        vars.remove(f.var());
      }
      case Stmt.Store st -> {
        int offset = offset(st.buffer(), st.indices());
        if (st.buffer().dtype().isFloating()) {
          reals.get(st.buffer())[offset] = round(st.buffer().dtype(), real(st.value()));
        } else {
          ints.get(st.buffer())[offset] = wrap(st.buffer().dtype(), integer(st.value()));
        }
      }
      case Stmt.Block b -> b.stmts().forEach(this::exec);
      case Stmt.If i -> {
        if (integer(i.condition()) != 0) {
          exec(i.then());
        } else {
          i.otherwise().ifPresent(this::exec);
        }
      }
      case Stmt.Let l -> assign(l.local(), l.init());
      case Stmt.Assign a -> assign(a.local(), a.value());
      case Stmt.Matmul mm -> matmul(mm);
      case Stmt.BlockedConv cv -> blockedConv(cv);
      case Stmt.Attention at -> attention(at);
    }
  }

  /**
   * The reference of the attention statement: the scores matmul, then per row the f32 softmax
   * as the Softmax lowering computes it (max, exp(x - max) into the probabilities, their sum in
   * order, each divided by it), then the output matmul.
   */
  private void attention(Stmt.Attention at) {
    matmul(at.scores());
    double[] s = reals.get(at.scores().c().buffer());
    double[] p = reals.get(at.output().a().buffer());
    long so = integer(at.scores().c().offset());
    long po = integer(at.output().a().offset());
    long n = at.scores().n();
    for (long i = 0; i < at.scores().m(); i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (long j = 0; j < n; j++) {
        double x = s[(int) (so + i * n + j)];
        max = Double.isNaN(x) || Double.isNaN(max) ? Double.NaN : Math.max(max, x);
      }
      double sum = 0;
      for (long j = 0; j < n; j++) {
        double e = round(DType.F32, IntrinsicMath.apply(Intrinsic.EXP,
            arithmeticRound(DType.F32, s[(int) (so + i * n + j)] - max)));
        p[(int) (po + i * n + j)] = e;
        sum = arithmeticRound(DType.F32, sum + e);
      }
      for (long j = 0; j < n; j++) {
        p[(int) (po + i * n + j)] = round(DType.F32, p[(int) (po + i * n + j)] / sum);
      }
    }
    matmul(at.output());
  }

  /**
   * The reference of the blocked convolution intrinsic: per output element, the sum over
   * (c, kh, kw) in order of the taps inside the image, each product and partial sum rounded to the
   * accumulator's type, then the epilogue; pad lanes of the output are 0.
   */
  private void blockedConv(Stmt.BlockedConv cv) {
    ConvGeometry g = cv.geometry();
    if (cv.w().rank() != 4) {
      throw new IllegalStateException("blocked_conv weights " + cv.w()
          + " are packed for code generation and cannot be interpreted");
    }
    double[] x = reals.get(cv.x());
    double[] w = reals.get(cv.w());
    double[] y = reals.get(cv.y());
    long b = cv.block();
    long bi = cv.inputBlock();
    long n = cv.y().dim(0);
    long cb = cv.x().dim(1);
    long h = cv.x().dim(2);
    long wi = cv.x().dim(3);
    long mb = cv.y().dim(1);
    long oh = cv.y().dim(2);
    long ow = cv.y().dim(3);
    long kh = g.kernelH();
    long kw = g.kernelW();
    long c = g.channels();
    DType accType = cv.acc().type();
    for (long in = 0; in < n; in++) {
      for (long m = 0; m < mb * b; m++) {
        for (long i = 0; i < oh; i++) {
          for (long j = 0; j < ow; j++) {
            int out = (int) ((((in * mb + m / b) * oh + i) * ow + j) * b + m % b);
            if (m >= g.outChannels()) {
              y[out] = 0;
              continue;
            }
            double acc = 0;
            for (long ic = 0; ic < c; ic++) {
              for (long r = 0; r < kh; r++) {
                long ih = i * g.strideH() - g.padTop() + r * g.dilationH();
                if (ih < 0 || ih >= h) {
                  continue;
                }
                for (long s = 0; s < kw; s++) {
                  long iw = j * g.strideW() - g.padLeft() + s * g.dilationW();
                  if (iw < 0 || iw >= wi) {
                    continue;
                  }
                  double product = arithmeticRound(accType,
                      x[(int) ((((in * cb + ic / bi) * h + ih) * wi + iw) * bi + ic % bi)]
                          * w[(int) (((m * c + ic) * kh + r) * kw + s)]);
                  acc = arithmeticRound(accType, acc + product);
                }
              }
            }
            realLocals.put(cv.acc(), acc);
            for (Stmt.ConvAddend a : cv.addends()) {
              realLocals.put(a.local(), reals.get(a.buffer())[a.perChannel() ? (int) m : out]);
            }
            y[out] = round(cv.y().dtype(), real(cv.epilogue()));
          }
        }
      }
    }
  }

  /**
   * The reference of the matmul intrinsic: per output element, the sum over p in order, each
   * product and partial sum rounded to the accumulator's type, then the epilogue.
   */
  private void matmul(Stmt.Matmul mm) {
    double[] a = reals.get(mm.a().buffer());
    double[] b = reals.get(mm.b().buffer());
    double[] c = reals.get(mm.c().buffer());
    long ao = integer(mm.a().offset());
    long bo = integer(mm.b().offset());
    long co = integer(mm.c().offset());
    long[] addendOffsets = new long[mm.addends().size()];
    for (int x = 0; x < addendOffsets.length; x++) {
      addendOffsets[x] = integer(mm.addends().get(x).operand().offset());
    }
    DType accType = mm.acc().type();
    for (long i = 0; i < mm.m(); i++) {
      for (long j = 0; j < mm.n(); j++) {
        double acc = 0;
        for (long p = 0; p < mm.k(); p++) {
          double product = arithmeticRound(accType,
              a[(int) (ao + i * mm.a().rowStride() + p * mm.a().colStride())]
                  * b[(int) (bo + p * mm.b().rowStride() + j * mm.b().colStride())]);
          acc = arithmeticRound(accType, acc + product);
        }
        realLocals.put(mm.acc(), acc);
        for (int x = 0; x < addendOffsets.length; x++) {
          Stmt.Addend addend = mm.addends().get(x);
          MatrixOperand op = addend.operand();
          realLocals.put(addend.local(),
              reals.get(op.buffer())[(int) (addendOffsets[x] + i * op.rowStride() + j * op.colStride())]);
        }
        c[(int) (co + i * mm.c().rowStride() + j * mm.c().colStride())] =
            round(mm.c().buffer().dtype(), real(mm.epilogue()));
      }
    }
  }

  private void assign(Local local, Expr value) {
    if (local.type().isFloating()) {
      realLocals.put(local, arithmeticRound(local.type(), real(value)));
    } else {
      intLocals.put(local, wrap(local.type(), integer(value)));
    }
  }

  private int offset(Buffer b, java.util.List<Expr> indices) {
    long[] strides = b.strides();
    long offset = 0;
    for (int d = 0; d < indices.size(); d++) {
      long i = integer(indices.get(d));
      if (i < 0 || i >= b.dim(d)) {
        throw new IndexOutOfBoundsException("index " + indices.get(d) + " = " + i + " of " + b
            + " dim " + d + " is outside [0, " + b.dim(d) + ")");
      }
      offset += i * strides[d];
    }
    return (int) offset;
  }

  /** Value of a real-typed expression. */
  private double real(Expr e) {
    DType t = e.type();
    return switch (e) {
      case Expr.FloatConst c -> arithmeticRound(t, c.value());
      case Local l -> realLocals.get(l);
      case Expr.Load l -> reals.get(l.buffer())[offset(l.buffer(), l.indices())];
      case Expr.Binary b -> arithmeticRound(t, realBinary(b));
      case Expr.Unary u -> -real(u.operand());
      case Expr.Call c -> arithmeticRound(t, call(c));
      case Expr.Cast c -> c.operand().type().isFloating()
          ? round(t, real(c.operand()))
          : round(t, unsignedAware(c.operand().type(), integer(c.operand())));
      case Expr.Select s -> integer(s.condition()) != 0 ? real(s.ifTrue()) : real(s.ifFalse());
      default -> throw new IllegalStateException("not a real expression: " + e);
    };
  }

  private double realBinary(Expr.Binary b) {
    double x = real(b.lhs());
    double y = real(b.rhs());
    return switch (b.op()) {
      case ADD -> x + y;
      case SUB -> x - y;
      case MUL -> x * y;
      case DIV -> x / y;
      case REM -> x % y;
      case MIN -> Double.isNaN(x) || Double.isNaN(y) ? Double.NaN : Math.min(x, y);
      case MAX -> Double.isNaN(x) || Double.isNaN(y) ? Double.NaN : Math.max(x, y);
      default -> throw new IllegalStateException(b.op() + " on reals: " + b);
    };
  }

  private double call(Expr.Call c) {
    if (c.fn() == dev.kiln.ir.loop.Intrinsic.FMA && c.type() == DType.F32) {
      return Math.fma((float) real(c.args().get(0)), (float) real(c.args().get(1)),
          (float) real(c.args().get(2)));
    }
    return switch (c.args().size()) {
      case 1 -> IntrinsicMath.apply(c.fn(), real(c.args().get(0)));
      case 2 -> IntrinsicMath.apply(c.fn(), real(c.args().get(0)), real(c.args().get(1)));
      default -> IntrinsicMath.apply(c.fn(), real(c.args().get(0)), real(c.args().get(1)),
          real(c.args().get(2)));
    };
  }

  /** Value of an integer- or bool-typed expression (bools are 0 or 1). */
  private long integer(Expr e) {
    DType t = e.type();
    return switch (e) {
      case Expr.IntConst c -> wrap(t, c.value());
      case Var v -> {
        Long value = vars.get(v);
        if (value == null) {
          throw new IllegalStateException("loop variable " + v + " used outside its loop");
        }
        yield value;
      }
      case Local l -> intLocals.get(l);
      case Expr.Load l -> ints.get(l.buffer())[offset(l.buffer(), l.indices())];
      case Expr.Binary b -> b.op().isComparison() ? (compare(b) ? 1 : 0) : wrap(t, intBinary(b));
      case Expr.Unary u -> switch (u.op()) {
        case NEG -> wrap(t, -integer(u.operand()));
        case NOT -> t == DType.BOOL ? 1 - integer(u.operand()) : wrap(t, ~integer(u.operand()));
      };
      case Expr.Call c -> wrap(t, Math.abs(integer(c.args().get(0))));
      case Expr.Cast c -> c.operand().type().isFloating()
          ? castReal(t, real(c.operand()))
          : (t == DType.BOOL ? (integer(c.operand()) != 0 ? 1 : 0) : wrap(t, integer(c.operand())));
      case Expr.Select s -> integer(s.condition()) != 0 ? integer(s.ifTrue()) : integer(s.ifFalse());
      case Expr.FloatConst c -> throw new IllegalStateException("not an integer expression: " + e);
    };
  }

  private boolean compare(Expr.Binary b) {
    if (b.lhs().type().isFloating()) {
      double x = real(b.lhs());
      double y = real(b.rhs());
      return switch (b.op()) {
        case LT -> x < y;
        case LE -> x <= y;
        case GT -> x > y;
        case GE -> x >= y;
        case EQ -> x == y;
        case NE -> x != y;
        default -> throw new IllegalStateException(b.toString());
      };
    }
    long x = integer(b.lhs());
    long y = integer(b.rhs());
    int c = b.lhs().type() == DType.U64 ? Long.compareUnsigned(x, y) : Long.compare(x, y);
    return switch (b.op()) {
      case LT -> c < 0;
      case LE -> c <= 0;
      case GT -> c > 0;
      case GE -> c >= 0;
      case EQ -> c == 0;
      case NE -> c != 0;
      default -> throw new IllegalStateException(b.toString());
    };
  }

  private long intBinary(Expr.Binary b) {
    long x = integer(b.lhs());
    long y = integer(b.rhs());
    boolean unsigned64 = b.type() == DType.U64;
    return switch (b.op()) {
      case ADD -> x + y;
      case SUB -> x - y;
      case MUL -> x * y;
      case DIV -> unsigned64 ? Long.divideUnsigned(x, y) : x / y;
      case REM -> unsigned64 ? Long.remainderUnsigned(x, y) : x % y;
      case FLOOR_DIV -> Math.floorDiv(x, y);
      case FLOOR_MOD -> Math.floorMod(x, y);
      case MIN -> unsigned64 ? (Long.compareUnsigned(x, y) <= 0 ? x : y) : Math.min(x, y);
      case MAX -> unsigned64 ? (Long.compareUnsigned(x, y) >= 0 ? x : y) : Math.max(x, y);
      case AND -> x & y;
      case OR -> x | y;
      case XOR -> x ^ y;
      default -> throw new IllegalStateException(b.toString());
    };
  }

  /** Wraps an integer to its type's width, as Java's narrowing casts do. */
  static long wrap(DType t, long v) {
    return switch (t) {
      case I8 -> (byte) v;
      case U8 -> v & 0xff;
      case I16 -> (short) v;
      case U16 -> v & 0xffff;
      case I32 -> (int) v;
      case U32 -> v & 0xffffffffL;
      case BOOL -> v != 0 ? 1 : 0;
      default -> v;
    };
  }

  private static double unsignedAware(DType t, long v) {
    return t == DType.U64 && v < 0 ? (double) (v >>> 1) * 2.0 + (v & 1) : (double) v;
  }

  private static long castReal(DType to, double v) {
    if (to == DType.BOOL) {
      return v != 0 ? 1 : 0;
    }
    return wrap(to, (long) v);
  }

  /** Rounding after an arithmetic operation: f16/bf16 arithmetic happens in f32. */
  private static double arithmeticRound(DType t, double v) {
    return t == DType.F64 ? v : (float) v;
  }

  /** Rounding to a storage type (stores and casts). */
  static double round(DType t, double v) {
    return switch (t) {
      case F64 -> v;
      case F32 -> (float) v;
      case F16, BF16 -> TensorWriter.of(t, 1).setDouble(0, v).build().getDouble(0);
      default -> throw new IllegalStateException("not a real type: " + t);
    };
  }
}
