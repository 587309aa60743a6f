package dev.kiln.codegen.emit;

import static dev.kiln.ir.loop.Exprs.index;
import static dev.kiln.ir.loop.Exprs.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Intrinsic;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.UnaryOp;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JavaEmitterTest {
  static final Var I = new Var("i");
  static final Var J = new Var("j");
  static final Var K = new Var("k");

  static LoopProgram program(List<Buffer> in, List<Buffer> out, List<Buffer> scratch, Kernel... kernels) {
    return new LoopProgram("p", ImmutableList.copyOf(in), ImmutableList.copyOf(out), ImmutableMap.of(),
        ImmutableList.copyOf(scratch), ImmutableList.copyOf(kernels));
  }

  static Kernel kernel(String name, Stmt body, Buffer... buffers) {
    return new Kernel(name, ImmutableList.copyOf(buffers), body, "node '" + name + "'");
  }

  static Stmt store(Buffer b, Expr value, Expr... indices) {
    return new Stmt.Store(b, ImmutableList.copyOf(indices), value);
  }

  static Expr f32(double v) {
    return new Expr.FloatConst(DType.F32, v);
  }

  /** C = A x B with an accumulator; the outer loop parallel, the output row vectorizable. */
  static LoopProgram matmul(int m, int k, int n, LoopKind outer) {
    Buffer a = Buffer.of("a", DType.F32, BufferRole.INPUT, m, k);
    Buffer b = Buffer.of("b", DType.F32, BufferRole.INPUT, k, n);
    Buffer c = Buffer.of("c", DType.F32, BufferRole.OUTPUT, m, n);
    Local acc = new Local("acc", DType.F32);
    Stmt body = new Stmt.For(I, m, outer, new Stmt.For(J, n, LoopKind.SERIAL, Stmt.Block.of(
        new Stmt.Let(acc, f32(0)),
        new Stmt.For(K, k, LoopKind.SERIAL, new Stmt.Assign(acc,
            Exprs.add(acc, Exprs.mul(load(a, I, K), load(b, K, J))))),
        store(c, acc, I, J))));
    return program(List.of(a, b), List.of(c), List.of(), kernel("mm", body, a, b, c));
  }

  @Test
  void scalarAndParallelMatmulMatchTheInterpreter() {
    Programs.assertSameAsInterpreter(matmul(5, 7, 3, LoopKind.SERIAL), 1);
    Programs.assertSameAsInterpreter(matmul(17, 9, 4, LoopKind.PARALLEL), 2);
    Programs.assertSameAsInterpreter(matmul(2, 3, 3, LoopKind.UNROLLED), 3);
  }

  /** y = max(a * x + b, 0) through a scratch buffer, then tanh; vectorized with a tail. */
  static LoopProgram axpyRelu(int rows, int cols) {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, rows, cols);
    Buffer b = Buffer.of("bias", DType.F32, BufferRole.INPUT, cols);
    Buffer t = Buffer.of("t", DType.F32, BufferRole.SCRATCH, rows, cols);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, rows, cols);
    Local v = new Local("v", DType.F32);
    Stmt first = new Stmt.For(I, rows, LoopKind.PARALLEL, new Stmt.For(J, cols, LoopKind.VECTORIZED,
        Stmt.Block.of(
            new Stmt.Let(v, Exprs.call(Intrinsic.FMA, f32(1.5), load(x, I, J), load(b, J))),
            store(t, Exprs.select(new Expr.Binary(BinaryOp.LT, v, f32(0)), f32(0), v), I, J))));
    Stmt second = new Stmt.For(I, rows, LoopKind.SERIAL, new Stmt.For(J, cols, LoopKind.VECTORIZED,
        store(y, new Expr.Binary(BinaryOp.MIN, new Expr.Unary(UnaryOp.NEG, load(t, I, J)),
            Exprs.sub(Exprs.call(Intrinsic.SQRT, Exprs.call(Intrinsic.ABS, load(x, I, J))),
                new Expr.Binary(BinaryOp.DIV, load(t, I, J), f32(3)))), I, J)));
    return program(List.of(x, b), List.of(y), List.of(t),
        kernel("affine", first, x, b, t), kernel("mix", second, x, t, y));
  }

  @Test
  void vectorizedLoopsWithTailsAreExact() {
    for (int cols : new int[] {1, 7, 16, 37, 64}) {
      LoopProgram p = axpyRelu(3, cols);
      EmittedProgram e = Programs.emit(p);
      assertEquals(List.of(), e.notes());
      assertTrue(e.source().contains("FloatVector.fromArray"), e.source());
      assertTrue(e.source().contains(".fma("), e.source());
      Programs.assertSameAsInterpreter(p, cols);
    }
  }

  @Test
  void maxAndMinAgainstAConstantAreACompareAndABlendExactlyLikeMath() {
    // Every special value on each side of every kind of bound, signed zeros and NaN included:
    // the compare-and-blend form (VectorLoops.clamp) must give Math.max / Math.min bit for bit.
    float[] specials = {Float.NaN, -0.0f, 0.0f, 6.0f, -6.0f, 1.5f, -1.5f, 5.999999f, 6.000001f,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, 1e30f, -1e30f};
    int n = 64;
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = specials[i % specials.length] * (i < specials.length ? 1 : (i % 3 == 0 ? -1 : 1));
    }
    double[] bounds = {0.0, -0.0, 6.0, -6.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1.5};
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, n);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, bounds.length * 4 + 1, n);
    java.util.List<Stmt> stores = new java.util.ArrayList<>();
    int row = 0;
    for (double c : bounds) {
      for (BinaryOp op : List.of(BinaryOp.MAX, BinaryOp.MIN)) {
        stores.add(store(y, new Expr.Binary(op, load(x, I), f32(c)), index(row++), I));
        stores.add(store(y, new Expr.Binary(op, f32(c), Exprs.mul(load(x, I), f32(2))), index(row++), I));
      }
    }
    // ReLU6 as the epilogues write it: min(max(x + 1, 0), 6).
    stores.add(store(y, new Expr.Binary(BinaryOp.MIN,
        new Expr.Binary(BinaryOp.MAX, Exprs.add(load(x, I), f32(1)), f32(0)), f32(6)), index(row), I));
    LoopProgram p = program(List.of(x), List.of(y), List.of(),
        kernel("clamps", new Stmt.For(I, n, LoopKind.VECTORIZED, Stmt.Block.of(stores.toArray(Stmt[]::new))), x, y));
    EmittedProgram e = Programs.emit(p);
    assertEquals(List.of(), e.notes());
    assertTrue(e.source().contains("compare(VectorOperators.LE, (0.0f))")
        && e.source().contains("compare(VectorOperators.GE, (-0.0f))")
        && e.source().contains("compare(VectorOperators.GT, (6.0f))"), e.source());
    Map<String, Tensor> in = Map.of("x", Tensor.ofFloats(new long[] {n}, values));
    Map<String, Tensor> expected = dev.kiln.runtime.loop.LoopInterpreter.run(p, in);
    assertEquals(expected, Programs.runCompiled(p, e, in), e.source());
    // A NaN bound is Math.max's own business (every lane NaN): no blend for it.
    Buffer z = Buffer.of("z", DType.F32, BufferRole.OUTPUT, n);
    LoopProgram nan = program(List.of(x), List.of(z), List.of(), kernel("nan", new Stmt.For(I, n, LoopKind.VECTORIZED,
        store(z, new Expr.Binary(BinaryOp.MAX, load(x, I), f32(Double.NaN)), I)), x, z));
    String nanSource = Programs.emit(nan).source();
    assertFalse(nanSource.contains("blend"), nanSource);
    Programs.assertSameAsInterpreter(nan, 1);
  }

  @Test
  void wholeVectorsGetNoScalarTail() {
    // The class's species has the emitter's lanes, so a range of whole vectors needs no tail.
    int lanes = EmitOptions.defaults().withVectorize(true).effectiveGemm().lanes();
    java.util.regex.Pattern tail = java.util.regex.Pattern.compile("for \\(; \\w+ < \\d+; \\w+\\+\\+\\)");
    String whole = Programs.emit(axpyRelu(3, 4 * lanes)).source();
    assertFalse(tail.matcher(whole).find(), whole);
    assertTrue(whole.contains("SPECIES_" + 32 * lanes), whole);
    String ragged = Programs.emit(axpyRelu(3, 4 * lanes + 3)).source();
    assertTrue(tail.matcher(ragged).find(), ragged);
  }

  /** Per row: the sum of x * 2, the max of x and the min of exp(x), each a vectorized reduction. */
  static LoopProgram rowReductions(int rows, int cols) {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, rows, cols);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, rows, 3);
    Local sum = new Local("sum", DType.F32);
    Local max = new Local("max", DType.F32);
    Local min = new Local("min", DType.F32);
    Stmt body = new Stmt.For(I, rows, LoopKind.PARALLEL, Stmt.Block.of(
        new Stmt.Let(sum, f32(0.5)),
        new Stmt.For(J, cols, LoopKind.VECTORIZED,
            new Stmt.Assign(sum, Exprs.add(Exprs.mul(load(x, I, J), f32(2)), sum))),
        new Stmt.Let(max, f32(Double.NEGATIVE_INFINITY)),
        new Stmt.For(K, cols, LoopKind.VECTORIZED,
            new Stmt.Assign(max, new Expr.Binary(BinaryOp.MAX, max, load(x, I, K)))),
        new Stmt.Let(min, f32(Double.POSITIVE_INFINITY)),
        new Stmt.For(new Var("l"), cols, LoopKind.VECTORIZED, new Stmt.Assign(min,
            new Expr.Binary(BinaryOp.MIN, min, Exprs.call(Intrinsic.EXP, load(x, I, new Var("l")))))),
        store(y, sum, I, index(0)), store(y, max, I, index(1)), store(y, min, I, index(2))));
    return program(List.of(x), List.of(y), List.of(), kernel("rows", body, x, y));
  }

  @Test
  void laneReductionsWithTailsMatchTheInterpreter() {
    // Each lane accumulates from the identity; the lanes fold into the local, then the tail.
    for (int cols : new int[] {1, 7, 16, 37, 64}) {
      LoopProgram p = rowReductions(3, cols);
      EmittedProgram e = Programs.emit(p);
      assertEquals(List.of(), e.notes());
      assertTrue(e.source().contains("reduceLanes(VectorOperators.ADD)"), e.source());
      assertTrue(e.source().contains("reduceLanes(VectorOperators.MAX)"), e.source());
      assertTrue(e.source().contains("reduceLanes(VectorOperators.MIN)"), e.source());
      Programs.assertCloseToInterpreter(p, cols, 1e-5);
    }
  }

  @Test
  void reductionsAndStridedAccessStayScalarWithANote() {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, 8, 8);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 8);
    Local acc = new Local("acc", DType.F32);
    // A product is not a lane reduction (only sums, max and min are).
    Stmt sum = new Stmt.For(I, 8, LoopKind.SERIAL, Stmt.Block.of(
        new Stmt.Let(acc, f32(1)),
        new Stmt.For(J, 8, LoopKind.VECTORIZED, new Stmt.Assign(acc, Exprs.mul(acc, load(x, I, J)))),
        store(y, acc, I)));
    Buffer z = Buffer.of("z", DType.F32, BufferRole.OUTPUT, 8, 8);
    Stmt transpose = new Stmt.For(I, 8, LoopKind.SERIAL,
        new Stmt.For(J, 8, LoopKind.VECTORIZED, store(z, load(x, J, I), I, J)));
    LoopProgram p = program(List.of(x), List.of(y, z), List.of(),
        kernel("sum", sum, x, y), kernel("transpose", transpose, x, z));
    EmittedProgram e = Programs.emit(p);
    assertEquals(List.of(
        "kernel sum: vectorized loop j kept scalar: it assigns a local declared outside the loop (a reduction)",
        "kernel transpose: vectorized loop j kept scalar: a load is not contiguous in the loop variable"),
        e.notes());
    assertFalse(e.source().contains("FloatVector"));
    Programs.assertSameAsInterpreter(p, 5);
  }

  @Test
  void parallelLoopAssigningAnOuterLocalStaysSerial() {
    Buffer x = Buffer.of("x", DType.I32, BufferRole.INPUT, 10);
    Buffer y = Buffer.of("y", DType.I32, BufferRole.OUTPUT, 1);
    Local acc = new Local("acc", DType.I32);
    Stmt body = Stmt.Block.of(new Stmt.Let(acc, index(0)),
        new Stmt.For(I, 10, LoopKind.PARALLEL, new Stmt.Assign(acc, Exprs.add(acc, load(x, I)))),
        store(y, acc, index(0)));
    LoopProgram p = program(List.of(x), List.of(y), List.of(), kernel("sum", body, x, y));
    assertEquals(List.of("kernel sum: parallel loop i kept serial: it assigns local acc declared "
        + "outside the loop"), Programs.emit(p).notes());
    Programs.assertSameAsInterpreter(p, 6);
  }

  @Test
  void nestedParallelLoopsSeeOuterVariablesAndLocals() {
    Buffer x = Buffer.of("x", DType.F64, BufferRole.INPUT, 6, 5, 4);
    Buffer y = Buffer.of("y", DType.F64, BufferRole.OUTPUT, 6, 5, 4);
    Local scale = new Local("s", DType.F64);
    Stmt body = new Stmt.For(I, 6, LoopKind.PARALLEL, Stmt.Block.of(
        new Stmt.Let(scale, Exprs.cast(DType.F64, I)),
        new Stmt.For(J, 5, LoopKind.PARALLEL, new Stmt.For(K, 4, LoopKind.UNROLLED,
            store(y, Exprs.mul(scale, load(x, I, J, K)), I, J, K)))));
    Programs.assertSameAsInterpreter(program(List.of(x), List.of(y), List.of(), kernel("k", body, x, y)), 7);
  }

  /** Per dtype: y = f(x) through arithmetic, comparisons, casts, and a round trip through f32. */
  @Test
  void everyDtypeComputesLikeTheInterpreter() {
    for (DType t : DType.values()) {
      Buffer x = Buffer.of("x", t, BufferRole.INPUT, 2, 9);
      Buffer w = Buffer.of("w", t, BufferRole.INPUT, 9);
      Buffer y = Buffer.of("y", t, BufferRole.OUTPUT, 2, 9);
      Buffer f = Buffer.of("f", DType.F32, BufferRole.OUTPUT, 2, 9);
      Buffer back = Buffer.of("back", t, BufferRole.OUTPUT, 2, 9);
      Expr a = load(x, I, J);
      Expr b = load(w, J);
      Expr value;
      if (t == DType.BOOL) {
        value = Exprs.select(new Expr.Binary(BinaryOp.LT, a, b), new Expr.Binary(BinaryOp.XOR, a, b),
            new Expr.Unary(UnaryOp.NOT, a));
      } else if (t.isFloating()) {
        value = Exprs.select(new Expr.Binary(BinaryOp.GE, a, b),
            Exprs.add(Exprs.mul(a, b), Exprs.call(Intrinsic.EXP, new Expr.Unary(UnaryOp.NEG, a))),
            new Expr.Binary(BinaryOp.MAX, Exprs.call(Intrinsic.TANH, a), new Expr.Binary(BinaryOp.REM, a, b)));
      } else {
        Expr safe = new Expr.Binary(BinaryOp.OR, b, new Expr.IntConst(t, 1));
        value = Exprs.add(Exprs.mul(a, b), Exprs.select(new Expr.Binary(BinaryOp.GT, a, b),
            new Expr.Binary(BinaryOp.REM, a, safe),
            new Expr.Binary(BinaryOp.XOR, new Expr.Unary(UnaryOp.NEG, a), new Expr.Binary(BinaryOp.MIN, a, b))));
      }
      Stmt body = new Stmt.For(I, 2, LoopKind.SERIAL, new Stmt.For(J, 9, LoopKind.SERIAL, Stmt.Block.of(
          store(y, value, I, J),
          store(f, Exprs.cast(DType.F32, a), I, J),
          store(back, Exprs.cast(t, Exprs.cast(DType.F64, a)), I, J))));
      LoopProgram p = program(List.of(x, w), List.of(y, f, back), List.of(), kernel("k", body, x, w, y, f, back));
      try {
        Programs.assertSameAsInterpreter(p, t.ordinal());
      } catch (AssertionError e) {
        throw new AssertionError(t + ": " + e.getMessage(), e);
      }
    }
  }

  @Test
  void oneElementConstantsAreLiteralsAndLargerOnesComeFromTheFrame() {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, 100);
    Buffer s = Buffer.of("s", DType.F32, BufferRole.CONSTANT, 1);
    Buffer w = Buffer.of("w", DType.F32, BufferRole.CONSTANT, 100);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 100);
    float[] weights = new float[100];
    for (int i = 0; i < 100; i++) {
      weights[i] = i * 0.25f;
    }
    Stmt body = new Stmt.For(I, 100, LoopKind.VECTORIZED,
        store(y, Exprs.add(Exprs.mul(load(x, I), load(s, index(0))), load(w, I)), I));
    LoopProgram p = new LoopProgram("c", ImmutableList.of(x), ImmutableList.of(y),
        ImmutableMap.of(s, Tensor.ofFloats(new long[] {1}, 2.75f), w, Tensor.ofFloats(new long[] {100}, weights)),
        ImmutableList.of(), ImmutableList.of(kernel("k", body, x, s, w, y)));
    EmittedProgram e = Programs.emit(p);
    assertTrue(e.source().contains("(2.75f)"), e.source());
    assertFalse(e.source().contains("0.25f"), e.source());
    Programs.assertSameAsInterpreter(p, 8);
  }

  @Test
  void outputIsDeterministic() {
    LoopProgram p = axpyRelu(4, 21);
    assertEquals(Programs.emit(p).source(), Programs.emit(p).source());
  }

  @Test
  void printsAReadableKernel() {
    String source = Programs.emit(matmul(2, 3, 4, LoopKind.PARALLEL)).source();
    assertTrue(source.contains("""
          private static void kernel0(Frame frame) {
            final float[] b0 = frame.floats(0);
            final int o0 = frame.offset(0);
        """), source);
    assertTrue(source.contains("frame.parallel().forRange(2, (RangeTask) (lo"), source);
  }

  /** y[i] = x[idx[i]] / d[i]: indices read from data are checked, divisions by zero reported. */
  static LoopProgram gatherDivide() {
    Buffer x = Buffer.of("x", DType.I32, BufferRole.INPUT, 3);
    Buffer idx = Buffer.of("idx", DType.I32, BufferRole.INPUT, 4);
    Buffer d = Buffer.of("d", DType.I32, BufferRole.INPUT, 4);
    Buffer t = Buffer.of("t", DType.I32, BufferRole.SCRATCH, 4);
    Buffer y = Buffer.of("y", DType.I32, BufferRole.OUTPUT, 4);
    Stmt gather = new Stmt.For(I, 4, LoopKind.PARALLEL, store(t, load(x, load(idx, I)), I));
    Stmt divide = new Stmt.For(I, 4, LoopKind.SERIAL,
        store(y, new Expr.Binary(BinaryOp.DIV, load(t, I), load(d, I)), I));
    return program(List.of(x, idx, d), List.of(y), List.of(t),
        new Kernel("g", ImmutableList.of(x, idx, t), gather, "Gather node 'g'"),
        new Kernel("q", ImmutableList.of(t, d, y), divide, "Div node 'q'"));
  }

  @Test
  void badIndicesAndDivisionsByZeroNameTheNode() {
    LoopProgram p = gatherDivide();
    EmittedProgram e = Programs.emit(p);
    assertTrue(e.source().contains("Objects.checkIndex("), e.source());
    Tensor x = Tensor.ofInts(new long[] {3}, 10, 20, 30);
    Tensor d = Tensor.ofInts(new long[] {4}, 1, 2, 3, 4);
    Map<String, Tensor> ok = Map.of("x", x, "idx", Tensor.ofInts(new long[] {4}, 2, 0, 1, 2), "d", d);
    assertEquals(dev.kiln.runtime.loop.LoopInterpreter.run(p, ok), Programs.runCompiled(p, e, ok));
    dev.kiln.runtime.interpreter.RunException bad = org.junit.jupiter.api.Assertions.assertThrows(
        dev.kiln.runtime.interpreter.RunException.class, () -> Programs.runCompiled(p, e,
            Map.of("x", x, "idx", Tensor.ofInts(new long[] {4}, 2, 0, 3, 2), "d", d)));
    assertEquals("Gather node 'g': an index read from the data is out of range "
        + "(Index 3 out of bounds for length 3)", bad.getMessage());
    bad = org.junit.jupiter.api.Assertions.assertThrows(
        dev.kiln.runtime.interpreter.RunException.class, () -> Programs.runCompiled(p, e,
            Map.of("x", x, "idx", Tensor.ofInts(new long[] {4}, 2, 0, 1, 2),
                "d", Tensor.ofInts(new long[] {4}, 1, 0, 3, 4))));
    assertEquals("Div node 'q': integer division by zero", bad.getMessage());
  }

  @Test
  void guardedLoadsAreNotVectorizedButStayExact() {
    // y[i, j] = x[i, j - 1] where m[j] > 0 (m[0] is not) else 0: a vector select would load x[i, -1].
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, 3, 20);
    Buffer m = Buffer.of("m", DType.F32, BufferRole.CONSTANT, 20);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 3, 20);
    float[] mask = new float[20];
    for (int j = 1; j < 20; j++) {
      mask[j] = j % 3;
    }
    Stmt body = new Stmt.For(I, 3, LoopKind.SERIAL, new Stmt.For(J, 20, LoopKind.VECTORIZED,
        store(y, Exprs.select(new Expr.Binary(BinaryOp.GT, load(m, J), f32(0)),
            load(x, I, Exprs.sub(J, index(1))), f32(0)), I, J)));
    LoopProgram p = new LoopProgram("pad", ImmutableList.of(x), ImmutableList.of(y),
        ImmutableMap.of(m, Tensor.ofFloats(new long[] {20}, mask)), ImmutableList.of(),
        ImmutableList.of(kernel("pad", body, x, m, y)));
    assertEquals(List.of("kernel pad: vectorized loop j kept scalar: a select guards a load that "
        + "may be out of bounds"), Programs.emit(p).notes());
    Programs.assertSameAsInterpreter(p, 11);
  }

  /**
   * Per row i and lane l: a weight loaded once outside the inner loops, an accumulator over a
   * serial and an unrolled loop with an index-only if (the window's border), one store per j:
   * the lane loop outside serial loops (outer-loop vectorization), y[i, j, l] = w[l] * (x[i, j, l]
   * + the x[i, j + k - 1, l] inside the row) + (j even ? 1 : 0).
   */
  static LoopProgram lanesOutsideLoops(int rows, int cols, int lanes, LoopKind inner) {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, rows, cols, lanes);
    Buffer w = Buffer.of("w", DType.F32, BufferRole.INPUT, lanes);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, rows, cols, lanes);
    Var l = new Var("l");
    Local wl = new Local("wl", DType.F32);
    Local acc = new Local("acc", DType.F32);
    Expr col = Exprs.add(J, Exprs.sub(K, index(1)));
    Expr inside = new Expr.Binary(BinaryOp.AND, new Expr.Binary(BinaryOp.GE, col, index(0)),
        new Expr.Binary(BinaryOp.LT, col, index(cols)));
    Expr clamped = new Expr.Binary(BinaryOp.MIN, new Expr.Binary(BinaryOp.MAX, col, index(0)), index(cols - 1));
    Stmt perColumn = Stmt.Block.of(
        new Stmt.Let(acc, load(x, I, J, l)),
        new Stmt.For(K, 3, inner, Stmt.If.of(inside,
            new Stmt.Assign(acc, Exprs.add(acc, load(x, I, clamped, l))))),
        new Stmt.If(new Expr.Binary(BinaryOp.EQ, new Expr.Binary(BinaryOp.FLOOR_MOD, J, index(2)), index(0)),
            store(y, Exprs.call(Intrinsic.FMA, wl, acc, f32(1)), I, J, l),
            java.util.Optional.of(store(y, Exprs.mul(wl, acc), I, J, l))));
    Stmt body = new Stmt.For(I, rows, LoopKind.PARALLEL, new Stmt.For(l, lanes, LoopKind.VECTORIZED,
        Stmt.Block.of(new Stmt.Let(wl, load(w, l)), new Stmt.For(J, cols, LoopKind.SERIAL, perColumn))));
    return program(List.of(x, w), List.of(y), List.of(), kernel("lanes", body, x, w, y));
  }

  @Test
  void aVectorizedLoopAroundSerialLoopsKeepsItsValuesInVectors() {
    for (LoopKind inner : new LoopKind[] {LoopKind.SERIAL, LoopKind.UNROLLED}) {
      for (int lanes : new int[] {1, 7, 16, 37}) {
        LoopProgram p = lanesOutsideLoops(3, 5, lanes, inner);
        EmittedProgram e = Programs.emit(p);
        assertEquals(List.of(), e.notes());
        assertTrue(e.source().contains("FloatVector.fromArray"), e.source());
        Programs.assertSameAsInterpreter(p, lanes);
      }
    }
  }

  @Test
  void aVectorizedLoopAroundAParallelLoopOrALaneDependentIfStaysScalarWithANote() {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, 4, 8);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 4, 8);
    Buffer z = Buffer.of("z", DType.F32, BufferRole.OUTPUT, 8);
    Stmt parallel = new Stmt.For(J, 8, LoopKind.VECTORIZED,
        new Stmt.For(I, 4, LoopKind.PARALLEL, store(y, load(x, I, J), I, J)));
    Stmt branch = new Stmt.For(J, 8, LoopKind.VECTORIZED, Stmt.If.of(
        new Expr.Binary(BinaryOp.GT, load(x, index(0), J), f32(0)), store(z, load(x, index(1), J), J)));
    LoopProgram p = program(List.of(x), List.of(y, z), List.of(),
        kernel("parallel", parallel, x, y), kernel("branch", branch, x, z));
    assertEquals(List.of(
        "kernel parallel: vectorized loop j kept scalar: its body holds a parallel loop",
        "kernel branch: vectorized loop j kept scalar: its body holds a conditional that depends on the lanes"),
        Programs.emit(p).notes());
    Programs.assertSameAsInterpreter(p, 12);
  }

  @Test
  void floorDivAndModOfANonNegativeIndexAreJavaDivisionAndRemainder() {
    // y[i] = x[i / 3 + (i - 4) mod 5]: i / 3 is a bytecode, (i - 4) mod 5 may see a negative
    // dividend and stays Math.floorMod; i mod 16 over [0, 12) is i itself.
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, 12);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 12);
    Expr i = new Expr.Binary(BinaryOp.FLOOR_MOD, I, index(16));
    Expr at = Exprs.add(new Expr.Binary(BinaryOp.FLOOR_DIV, i, index(3)),
        new Expr.Binary(BinaryOp.FLOOR_MOD, Exprs.sub(I, index(4)), index(5)));
    LoopProgram p = program(List.of(x), List.of(y), List.of(),
        kernel("k", new Stmt.For(I, 12, LoopKind.SERIAL, store(y, load(x, at), I)), x, y));
    String source = Programs.emit(p).source();
    assertFalse(source.contains("Math.floorDiv"), source);
    assertFalse(source.contains("16"), source);
    assertTrue(source.contains("Math.floorMod"), source);
    Programs.assertSameAsInterpreter(p, 13);
  }
}
