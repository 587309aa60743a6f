package dev.kiln.codegen.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LaneReduction;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.type.DType;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * {@code VECTORIZED} loops as Vector API code: {@code FloatVector} on the class's species (of the
 * emitter's vector length, else the preferred one) over the main part of the range, then the
 * same body as scalar code for the tail when there is one (exact, and no masks on the hot path). Applies when the body is f32 stores and f32 locals whose loads are
 * contiguous in the loop variable (unit stride) or do not depend on it (broadcast), built from
 * the operations below; otherwise the loop runs scalar and a note says why. The body may hold
 * serial and unrolled loops and conditionals on indices (outer-loop vectorization: they run once
 * per vector of lanes, with vector values that may live across their iterations, such as
 * weights loaded once per channel block), since the lanes are independent iterations.
 *
 * <p>Lanewise add, sub, mul, div, min, max, neg, abs, sqrt and fma round exactly like the scalar
 * code; exp, log and tanh use the Vector API's implementations, which may differ by an ulp or so.
 */
final class VectorLoops {
  static final ClassName FLOAT_VECTOR = ClassName.get("jdk.incubator.vector", "FloatVector");
  static final ClassName OPERATORS = ClassName.get("jdk.incubator.vector", "VectorOperators");
  /** The generated class's species field. */
  static final String SPECIES = "SPECIES";

  private final ScalarExprs scalar;
  /** The species field the vector code names ({@link #SPECIES}, or the GEMM's for epilogues). */
  private String species = SPECIES;
  private final KernelEmitter kernel;
  private boolean used;
  /**
   * Whether max and min against a constant become a compare and a blend ({@link #clamp}): in
   * loops and convolution epilogues; GEMM and attention epilogues ask for {@code max} (a blended
   * ReLU in the transformer's FFN GEMM made its attention kernel bimodal, performance.md).
   */
  private boolean blendClamps = true;
  /** The variable of the loop being vectorized. */
  private Var laneVar;
  /** Extents of the loop variables in scope of the loop being checked, its own included. */
  private java.util.Map<Var, Long> extents;

  VectorLoops(ScalarExprs scalar, KernelEmitter kernel) {
    this.scalar = scalar;
    this.kernel = kernel;
  }

  /** Whether any loop of this kernel became vector code. */
  boolean used() {
    return used;
  }

  void emit(Stmt.For f, Env env, CodeBlock.Builder code) {
    Set<Local> vectorLocals = new HashSet<>();
    extents = env.extents();
    extents.put(f.var(), f.extent());
    Optional<LaneReduction> reduction = LaneReduction.of(f.body());
    Optional<String> whyNot = reduction.isPresent()
        ? checkValue(reduction.get().operand(), f.var(), vectorLocals)
        : check(f.body(), f.var(), vectorLocals);
    if (whyNot.isPresent()) {
      kernel.note("vectorized loop " + CommentText.escape(f.var().name()) + " kept scalar: "
          + whyNot.get());
      kernel.serial(f, env, code);
      return;
    }
    used = true;
    laneVar = f.var();
    String v = kernel.fresh("i");
    code.beginControlFlow("");
    code.addStatement("int $L = 0", v);
    Env lanes = env.child();
    lanes.bind(f.var(), v, f.extent());
    if (reduction.isPresent()) {
      reduction(reduction.get(), f, v, lanes, code);
    } else {
      code.beginControlFlow("for (; $L < $L.loopBound($L); $L += $L.length())", v, SPECIES,
          f.extent(), v, SPECIES);
      vectorStmt(f.body(), lanes, vectorLocals, code);
      code.endControlFlow();
    }
    // The species is fixed when the emitter knows the lanes (JavaEmitter's field), so a range
    // of whole vectors has no tail: none emitted (half the bytecode of a transform, which kept
    // C1 from compiling the largest Winograd bodies at all).
    int width = kernel.vectorLanes();
    if (width == 0 || f.extent() % width != 0) {
      code.beginControlFlow("for (; $L < $L; $L++)", v, f.extent(), v);
      Env tail = env.child();
      tail.bind(f.var(), v, f.extent());
      kernel.stmt(f.body(), tail, code);
      code.endControlFlow();
    }
    code.endControlFlow();
  }

  /**
   * The main part of a reduction loop: each lane accumulates its own partial result from the
   * identity, and the lanes are combined into the scalar accumulator, from which the scalar tail
   * continues.
   */
  private void reduction(LaneReduction r, Stmt.For f, String v, Env lanes, CodeBlock.Builder code) {
    String partial = kernel.fresh("v");
    String method = switch (r.op()) {
      case ADD -> "add";
      case MAX -> "max";
      default -> "min";
    };
    code.addStatement("$T $L = $T.broadcast($L, $L)", FLOAT_VECTOR, partial, FLOAT_VECTOR, SPECIES,
        r.identity() == 0f ? "0f" : r.identity() > 0 ? "Float.POSITIVE_INFINITY" : "Float.NEGATIVE_INFINITY");
    code.beginControlFlow("for (; $L < $L.loopBound($L); $L += $L.length())", v, SPECIES, f.extent(),
        v, SPECIES);
    code.addStatement("$L = $L.$L($L)", partial, partial, method,
        vexpr(r.operand(), lanes, new HashSet<>()));
    code.endControlFlow();
    String acc = lanes.local(r.acc());
    CodeBlock lanesCombined = CodeBlock.of("$L.reduceLanes($T.$L)", partial, OPERATORS, r.op().name());
    if (r.op() == BinaryOp.ADD) {
      code.addStatement("$L = $L + $L", acc, acc, lanesCombined);
    } else {
      code.addStatement("$L = $T.$L($L, $L)", acc, Math.class, method, acc, lanesCombined);
    }
  }

  /**
   * A matmul epilogue (an f32 expression over locals and constants) as a {@code FloatVector}
   * expression on the species field {@code speciesField}, each local in {@code names} a vector of
   * that name; empty when it has no vector form.
   */
  Optional<CodeBlock> epilogue(Expr e, java.util.Map<Local, String> names, String speciesField,
      boolean blendClamps) {
    Set<Local> vectorLocals = new HashSet<>(names.keySet());
    Var lane = new Var("lane");
    extents = new java.util.HashMap<>();
    if (checkValue(e, lane, vectorLocals).isPresent()) {
      return Optional.empty();
    }
    Env env = Env.root();
    names.forEach(env::bind);
    laneVar = lane;
    String saved = species;
    boolean savedClamps = this.blendClamps;
    species = speciesField;
    this.blendClamps = blendClamps;
    try {
      return Optional.of(vexpr(e, env, vectorLocals));
    } finally {
      species = saved;
      this.blendClamps = savedClamps;
    }
  }

  // ---- the check ----

  private Optional<String> check(Stmt s, Var v, Set<Local> vectorLocals) {
    switch (s) {
      case Stmt.Block b -> {
        for (Stmt x : b.stmts()) {
          Optional<String> why = check(x, v, vectorLocals);
          if (why.isPresent()) {
            return why;
          }
        }
        return Optional.empty();
      }
      case Stmt.Store st -> {
        if (st.buffer().dtype() != DType.F32) {
          return Optional.of("it stores " + st.buffer().dtype() + " (only f32 is vectorized)");
        }
        OptionalLong stride = stride(st.buffer(), st.indices(), v, vectorLocals);
        if (stride.isEmpty() || stride.getAsLong() != 1) {
          return Optional.of("a store is not contiguous in the loop variable");
        }
        return checkValue(st.value(), v, vectorLocals);
      }
      case Stmt.Let l -> {
        if (l.local().type() != DType.F32) {
          return Optional.of("it declares a " + l.local().type() + " local (only f32 is vectorized)");
        }
        Optional<String> why = checkValue(l.init(), v, vectorLocals);
        vectorLocals.add(l.local());
        return why;
      }
      case Stmt.Assign a -> {
        if (!vectorLocals.contains(a.local())) {
          return Optional.of("it assigns a local declared outside the loop (a reduction)");
        }
        return checkValue(a.value(), v, vectorLocals);
      }
      case Stmt.For f -> {
        // Outer-loop vectorization: a serial (or unrolled) loop inside runs once per vector of
        // lanes, its f32 values vectors, its indices scalars.
        if (f.kind() != dev.kiln.ir.loop.LoopKind.SERIAL && f.kind() != dev.kiln.ir.loop.LoopKind.UNROLLED) {
          return Optional.of("its body holds a " + f.kind().name().toLowerCase(java.util.Locale.ROOT) + " loop");
        }
        extents.put(f.var(), f.extent());
        return check(f.body(), v, vectorLocals);
      }
      case Stmt.If i -> {
        // A condition the same in every lane (indices only) is a scalar branch around vector code.
        if (i.condition().type() == DType.F32 || !invariant(i.condition(), v, vectorLocals)
            || mentionsF32(i.condition())) {
          return Optional.of("its body holds a conditional that depends on the lanes");
        }
        return first(check(i.then(), v, vectorLocals),
            i.otherwise().map(o -> check(o, v, vectorLocals)).orElse(Optional.empty()));
      }
      case Stmt.Matmul mm -> {
        return Optional.of("its body holds a matmul intrinsic");
      }
      case Stmt.BlockedConv cv -> {
        return Optional.of("its body holds a blocked_conv intrinsic");
      }
      case Stmt.Attention at -> {
        return Optional.of("its body holds an attention intrinsic");
      }
    }
  }

  private Optional<String> checkValue(Expr e, Var v, Set<Local> vectorLocals) {
    if (e.type() != DType.F32) {
      return Optional.of("it computes a " + e.type() + " value");
    }
    if (invariant(e, v, vectorLocals)) {
      return Optional.empty();
    }
    return switch (e) {
      case Local l -> Optional.empty();
      case Expr.Load l -> {
        OptionalLong stride = stride(l.buffer(), l.indices(), v, vectorLocals);
        yield stride.isPresent() && stride.getAsLong() == 1 ? Optional.empty()
            : Optional.of("a load is not contiguous in the loop variable");
      }
      case Expr.Binary b -> switch (b.op()) {
        case ADD, SUB, MUL, DIV, MIN, MAX -> first(checkValue(b.lhs(), v, vectorLocals),
            checkValue(b.rhs(), v, vectorLocals));
        default -> Optional.of("operator " + b.op().symbol() + " has no vector form here");
      };
      case Expr.Unary u -> checkValue(u.operand(), v, vectorLocals);
      case Expr.Call c -> switch (c.fn()) {
        case ABS, SQRT, EXP, LOG, TANH, FMA -> {
          Optional<String> why = Optional.empty();
          for (Expr a : c.args()) {
            why = first(why, checkValue(a, v, vectorLocals));
          }
          yield why;
        }
        default -> Optional.of("intrinsic " + c.fn().text() + " has no vector form here");
      };
      case Expr.Select s -> {
        if (!(s.condition() instanceof Expr.Binary cmp) || !cmp.op().isComparison()
            || cmp.lhs().type() != DType.F32 || cmp.op() == dev.kiln.ir.loop.BinaryOp.NE) {
          yield Optional.of("a select's condition is not an f32 comparison");
        }
        if (!loadsInBounds(s.ifTrue()) || !loadsInBounds(s.ifFalse())) {
          // A vector select evaluates both sides in every lane: a load the condition guards
          // (padding) could leave its buffer.
          yield Optional.of("a select guards a load that may be out of bounds");
        }
        yield first(first(checkValue(cmp.lhs(), v, vectorLocals), checkValue(cmp.rhs(), v, vectorLocals)),
            first(checkValue(s.ifTrue(), v, vectorLocals), checkValue(s.ifFalse(), v, vectorLocals)));
      }
      default -> Optional.of("an expression depends on the loop variable in a way with no vector form");
    };
  }

  /** Whether every load in {@code e} provably stays inside its buffer, dim by dim. */
  private boolean loadsInBounds(Expr e) {
    return switch (e) {
      case Expr.Load l -> {
        for (int d = 0; d < l.indices().size(); d++) {
          long dim = l.buffer().dim(d);
          boolean ok = dev.kiln.ir.loop.IndexRange.of(l.indices().get(d), extents)
              .map(r -> r.min() >= 0 && r.max() < dim).orElse(false);
          if (!ok || !loadsInBounds(l.indices().get(d))) {
            yield false;
          }
        }
        yield true;
      }
      case Expr.Binary b -> loadsInBounds(b.lhs()) && loadsInBounds(b.rhs());
      case Expr.Unary u -> loadsInBounds(u.operand());
      case Expr.Call c -> c.args().stream().allMatch(this::loadsInBounds);
      case Expr.Cast c -> loadsInBounds(c.operand());
      case Expr.Select s -> loadsInBounds(s.condition()) && loadsInBounds(s.ifTrue())
          && loadsInBounds(s.ifFalse());
      default -> true;
    };
  }

  /** Whether {@code e} computes or loads a real anywhere (a lane-invariant branch must not). */
  private static boolean mentionsF32(Expr e) {
    if (e.type() == DType.F32) {
      return true;
    }
    return switch (e) {
      case Expr.Load l -> l.indices().stream().anyMatch(VectorLoops::mentionsF32);
      case Expr.Binary b -> mentionsF32(b.lhs()) || mentionsF32(b.rhs());
      case Expr.Unary u -> mentionsF32(u.operand());
      case Expr.Call c -> c.args().stream().anyMatch(VectorLoops::mentionsF32);
      case Expr.Cast c -> mentionsF32(c.operand());
      case Expr.Select sel -> mentionsF32(sel.condition()) || mentionsF32(sel.ifTrue())
          || mentionsF32(sel.ifFalse());
      default -> false;
    };
  }

  private static Optional<String> first(Optional<String> a, Optional<String> b) {
    return a.isPresent() ? a : b;
  }

  /** Whether {@code e} has the same value in every lane: mentions neither v nor a lane local. */
  static boolean invariant(Expr e, Var v, Set<Local> vectorLocals) {
    return switch (e) {
      case Expr.IntConst c -> true;
      case Expr.FloatConst c -> true;
      case Var x -> !x.equals(v);
      case Local l -> !vectorLocals.contains(l);
      case Expr.Load l -> l.indices().stream().allMatch(i -> invariant(i, v, vectorLocals));
      case Expr.Binary b -> invariant(b.lhs(), v, vectorLocals) && invariant(b.rhs(), v, vectorLocals);
      case Expr.Unary u -> invariant(u.operand(), v, vectorLocals);
      case Expr.Call c -> c.args().stream().allMatch(a -> invariant(a, v, vectorLocals));
      case Expr.Cast c -> invariant(c.operand(), v, vectorLocals);
      case Expr.Select s -> invariant(s.condition(), v, vectorLocals)
          && invariant(s.ifTrue(), v, vectorLocals) && invariant(s.ifFalse(), v, vectorLocals);
    };
  }

  /** How far the flat element index moves per step of v; empty when not affine in v. */
  static OptionalLong stride(Buffer b, List<Expr> indices, Var v, Set<Local> vectorLocals) {
    long[] strides = b.strides();
    long total = 0;
    for (int d = 0; d < indices.size(); d++) {
      OptionalLong c = coefficient(indices.get(d), v, vectorLocals);
      if (c.isEmpty()) {
        return c;
      }
      total += c.getAsLong() * strides[d];
    }
    return OptionalLong.of(total);
  }

  private static OptionalLong coefficient(Expr e, Var v, Set<Local> vectorLocals) {
    if (invariant(e, v, vectorLocals)) {
      return OptionalLong.of(0);
    }
    return switch (e) {
      case Var x -> OptionalLong.of(1);
      case Expr.Binary b -> switch (b.op()) {
        case ADD, SUB -> {
          OptionalLong l = coefficient(b.lhs(), v, vectorLocals);
          OptionalLong r = coefficient(b.rhs(), v, vectorLocals);
          yield l.isEmpty() || r.isEmpty() ? OptionalLong.empty()
              : OptionalLong.of(b.op() == dev.kiln.ir.loop.BinaryOp.ADD
                  ? l.getAsLong() + r.getAsLong() : l.getAsLong() - r.getAsLong());
        }
        case MUL -> {
          if (b.rhs() instanceof Expr.IntConst k) {
            OptionalLong l = coefficient(b.lhs(), v, vectorLocals);
            yield l.isEmpty() ? l : OptionalLong.of(l.getAsLong() * k.value());
          }
          if (b.lhs() instanceof Expr.IntConst k) {
            OptionalLong r = coefficient(b.rhs(), v, vectorLocals);
            yield r.isEmpty() ? r : OptionalLong.of(r.getAsLong() * k.value());
          }
          yield OptionalLong.empty();
        }
        default -> OptionalLong.empty();
      };
      case Expr.Unary u when u.op() == dev.kiln.ir.loop.UnaryOp.NEG -> {
        OptionalLong c = coefficient(u.operand(), v, vectorLocals);
        yield c.isEmpty() ? c : OptionalLong.of(-c.getAsLong());
      }
      default -> OptionalLong.empty();
    };
  }

  // ---- the vector code ----

  private void vectorStmt(Stmt s, Env env, Set<Local> vectorLocals, CodeBlock.Builder code) {
    switch (s) {
      case Stmt.Block b -> b.stmts().forEach(x -> vectorStmt(x, env, vectorLocals, code));
      case Stmt.Store st -> code.addStatement("$L.intoArray($L)",
          vexpr(st.value(), env, vectorLocals), arrayAndIndex(st.buffer(), st.indices(), env));
      case Stmt.Let l -> {
        CodeBlock init = vexpr(l.init(), env, vectorLocals);
        String name = kernel.fresh("v");
        env.bind(l.local(), name);
        code.addStatement("$T $L = $L", FLOAT_VECTOR, name, init);
      }
      case Stmt.Assign a -> code.addStatement("$L = $L", env.local(a.local()),
          vexpr(a.value(), env, vectorLocals));
      case Stmt.For f when f.kind() == dev.kiln.ir.loop.LoopKind.UNROLLED
          && f.extent() <= kernel.maxUnroll() -> {
        for (long k = 0; k < f.extent(); k++) {
          String i = kernel.fresh("i");
          code.beginControlFlow("");
          code.addStatement("final int $L = $L", i, k);
          Env inner = env.child();
          inner.bind(f.var(), i, f.extent());
          vectorStmt(f.body(), inner, vectorLocals, code);
          code.endControlFlow();
        }
      }
      case Stmt.For f -> {
        String i = kernel.fresh("i");
        code.beginControlFlow("for (int $L = 0; $L < $L; $L++)", i, i, f.extent(), i);
        Env inner = env.child();
        inner.bind(f.var(), i, f.extent());
        vectorStmt(f.body(), inner, vectorLocals, code);
        code.endControlFlow();
      }
      case Stmt.If i -> {
        code.beginControlFlow("if ($L)", scalar.expr(i.condition(), env));
        vectorStmt(i.then(), env.child(), vectorLocals, code);
        if (i.otherwise().isPresent()) {
          code.nextControlFlow("else");
          vectorStmt(i.otherwise().get(), env.child(), vectorLocals, code);
        }
        code.endControlFlow();
      }
      default -> throw new IllegalStateException("checked before: " + s);
    }
  }

  private CodeBlock arrayAndIndex(Buffer b, List<Expr> indices, Env env) {
    return CodeBlock.of("$L, $L", scalar.arrayName(b), scalar.index(b, indices, env));
  }

  /**
   * The constant side of a max or min against a float constant (ReLU, Clip), if it is one and
   * not NaN: such a bound is a compare and a blend ({@link #clamp}).
   */
  private static Optional<Expr.FloatConst> clampBound(Expr.Binary b) {
    if (b.op() != BinaryOp.MAX && b.op() != BinaryOp.MIN) {
      return Optional.empty();
    }
    Expr bound = b.rhs() instanceof Expr.FloatConst ? b.rhs() : b.lhs();
    return bound instanceof Expr.FloatConst c && c.type() == DType.F32 && !Double.isNaN(c.value())
        ? Optional.of(c) : Optional.empty();
  }

  /**
   * {@code max(x, c)} or {@code min(x, c)} for a constant c as {@code x.blend(c, x.compare(OP, c))}:
   * exactly {@code Math.max} / {@code Math.min} (NaN compares false and stays; a bound of +0.0
   * takes x <= 0 for max, so max(-0.0, 0.0) is +0.0, and -0.0 takes x >= -0.0 for min), in two
   * instructions (vcmpps, vblendmps) where C2 compiles {@code FloatVector.max} and {@code min} to
   * six each (the sign and NaN fix-ups of Math semantics on AVX-512). A ReLU6 after a pointwise
   * convolution of 16 input channels was 24 x 12 of those instructions beside 384 fmas. x is
   * bound once in a switch expression's block (an expression may not declare a local).
   */
  private CodeBlock clamp(Expr.Binary b, Env env, Set<Local> vectorLocals) {
    Expr.FloatConst bound = clampBound(b).orElseThrow();
    Expr x = b.rhs() == bound ? b.lhs() : b.rhs();
    float c = (float) bound.value();
    int bits = Float.floatToRawIntBits(c);
    String op = b.op() == BinaryOp.MAX ? (bits == 0 ? "LE" : "LT") : (bits == 0x80000000 ? "GE" : "GT");
    CodeBlock value = scalar.expr(bound, Env.root());
    String t = kernel.fresh("clamp");
    return CodeBlock.of("(switch (0) {\n$>default -> {\n$>final $T $L = $L;\n"
        + "yield $L.blend($L, $L.compare($T.$L, $L));\n$<}\n$<})",
        FLOAT_VECTOR, t, vexpr(x, env, vectorLocals), t, value, t, OPERATORS, op, value);
  }

  private CodeBlock vexpr(Expr e, Env env, Set<Local> vectorLocals) {
    if (invariant(e, laneVar, vectorLocals)) {
      return CodeBlock.of("$T.broadcast($L, $L)", FLOAT_VECTOR, species, scalar.expr(e, env));
    }
    return switch (e) {
      case Local l -> CodeBlock.of("$L", env.local(l));
      case Expr.Load l -> CodeBlock.of("$T.fromArray($L, $L)", FLOAT_VECTOR, species,
          arrayAndIndex(l.buffer(), l.indices(), env));
      case Expr.Binary b when blendClamps && clampBound(b).isPresent() -> clamp(b, env, vectorLocals);
      case Expr.Binary b -> {
        CodeBlock x = vexpr(b.lhs(), env, vectorLocals);
        CodeBlock y = vexpr(b.rhs(), env, vectorLocals);
        String method = switch (b.op()) {
          case ADD -> "add";
          case SUB -> "sub";
          case MUL -> "mul";
          case DIV -> "div";
          case MIN -> "min";
          case MAX -> "max";
          default -> throw new IllegalStateException("checked before: " + b);
        };
        yield CodeBlock.of("$L.$L($L)", x, method, y);
      }
      case Expr.Unary u -> CodeBlock.of("$L.neg()", vexpr(u.operand(), env, vectorLocals));
      case Expr.Call c -> switch (c.fn()) {
        case ABS -> CodeBlock.of("$L.abs()", vexpr(c.args().get(0), env, vectorLocals));
        case SQRT -> CodeBlock.of("$L.sqrt()", vexpr(c.args().get(0), env, vectorLocals));
        case EXP, LOG, TANH -> CodeBlock.of("$L.lanewise($T.$L)", vexpr(c.args().get(0), env, vectorLocals),
            OPERATORS, c.fn().name());
        case FMA -> CodeBlock.of("$L.fma($L, $L)", vexpr(c.args().get(0), env, vectorLocals),
            vexpr(c.args().get(1), env, vectorLocals), vexpr(c.args().get(2), env, vectorLocals));
        default -> throw new IllegalStateException("checked before: " + c);
      };
      case Expr.Select s -> {
        Expr.Binary cmp = (Expr.Binary) s.condition();
        CodeBlock mask = CodeBlock.of("$L.compare($T.$L, $L)", vexpr(cmp.lhs(), env, vectorLocals),
            OPERATORS, cmp.op().name(), vexpr(cmp.rhs(), env, vectorLocals));
        // blend takes the argument's lanes where the mask is set.
        yield CodeBlock.of("$L.blend($L, $L)", vexpr(s.ifFalse(), env, vectorLocals),
            vexpr(s.ifTrue(), env, vectorLocals), mask);
      }
      default -> throw new IllegalStateException("checked before: " + e);
    };
  }
}
