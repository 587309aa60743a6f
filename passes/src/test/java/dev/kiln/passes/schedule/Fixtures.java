package dev.kiln.passes.schedule;

import static dev.kiln.ir.loop.Exprs.index;
import static dev.kiln.ir.loop.Exprs.load;

import com.google.common.collect.ImmutableList;
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
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.loop.LoopInterpreter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Hand-written kernels (the shapes lowering produces) and the interpreter oracle. */
final class Fixtures {
  private Fixtures() {}

  static final Var I = new Var("i");
  static final Var J = new Var("j");
  static final Var K = new Var("k");

  static Stmt.For loop(Var v, long extent, Stmt body) {
    return new Stmt.For(v, extent, LoopKind.SERIAL, body);
  }

  static Stmt store(Buffer b, Expr value, Expr... indices) {
    return new Stmt.Store(b, ImmutableList.copyOf(indices), value);
  }

  static Expr f32(double v) {
    return new Expr.FloatConst(DType.F32, v);
  }

  static Expr bin(BinaryOp op, Expr a, Expr b) {
    return new Expr.Binary(op, a, b);
  }

  /** {@code y[i, j, k] = max(x[i, j, k] + b[k], 0)}: elementwise with a broadcast bias. */
  static Kernel biasRelu(long n0, long n1, long n2) {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, n0, n1, n2);
    Buffer b = Buffer.of("b", DType.F32, BufferRole.INPUT, n2);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, n0, n1, n2);
    Expr value = bin(BinaryOp.MAX, bin(BinaryOp.ADD, load(x, I, J, K), load(b, K)), f32(0));
    return new Kernel("bias_relu", ImmutableList.of(x, b, y),
        loop(I, n0, loop(J, n1, loop(K, n2, store(y, value, I, J, K)))), "Add+Relu");
  }

  /** {@code c[i, j] = sum_k a[i, k] * w[k, j]} with a scalar accumulator, as lowering writes it. */
  static Kernel matmul(long m, long kk, long n) {
    return matmulOf(DType.F32, m, kk, n);
  }

  static Kernel matmulOf(DType type, long m, long kk, long n) {
    Buffer a = Buffer.of("a", type, BufferRole.INPUT, m, kk);
    Buffer w = Buffer.of("w", type, BufferRole.CONSTANT, kk, n);
    Buffer c = Buffer.of("c", type, BufferRole.OUTPUT, m, n);
    Local acc = new Local("acc", type);
    Stmt body = Stmt.Block.of(
        new Stmt.Let(acc, Exprs.constant(type, 0)),
        loop(K, kk, new Stmt.Assign(acc, bin(BinaryOp.ADD, acc, bin(BinaryOp.MUL, load(a, I, K), load(w, K, J))))),
        store(c, acc, I, J));
    return new Kernel("matmul", ImmutableList.of(a, w, c), loop(I, m, loop(J, n, body)), "MatMul");
  }

  /** Matmul accumulating in the output: an init nest, then {@code c[i, j] += a[i, k] * w[k, j]}. */
  static Kernel matmulInPlace(long m, long kk, long n) {
    Buffer a = Buffer.of("a", DType.F32, BufferRole.INPUT, m, kk);
    Buffer w = Buffer.of("w", DType.F32, BufferRole.CONSTANT, kk, n);
    Buffer c = Buffer.of("c", DType.F32, BufferRole.OUTPUT, m, n);
    Var i0 = new Var("i0");
    Var j0 = new Var("j0");
    Stmt init = loop(i0, m, loop(j0, n, store(c, f32(0), i0, j0)));
    Expr update = bin(BinaryOp.ADD, load(c, I, J), bin(BinaryOp.MUL, load(a, I, K), load(w, K, J)));
    Stmt accumulate = loop(I, m, loop(J, n, loop(K, kk, store(c, update, I, J))));
    return new Kernel("matmul_acc", ImmutableList.of(a, w, c), Stmt.Block.of(init, accumulate), "MatMul");
  }

  /** A valid 2-D convolution {@code y[f, oh, ow] = sum x[c, oh + kh, ow + kw] * w[f, c, kh, kw]}. */
  static Kernel conv(long channels, long filters, long size, long kernelSize) {
    long out = size - kernelSize + 1;
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, channels, size, size);
    Buffer w = Buffer.of("w", DType.F32, BufferRole.CONSTANT, filters, channels, kernelSize, kernelSize);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, filters, out, out);
    Var f = new Var("f");
    Var oh = new Var("oh");
    Var ow = new Var("ow");
    Var c = new Var("c");
    Var kh = new Var("kh");
    Var kw = new Var("kw");
    Local acc = new Local("acc", DType.F32);
    Expr product = bin(BinaryOp.MUL, load(x, c, Exprs.add(oh, kh), Exprs.add(ow, kw)), load(w, f, c, kh, kw));
    Stmt body = Stmt.Block.of(
        new Stmt.Let(acc, f32(0)),
        loop(c, channels, loop(kh, kernelSize, loop(kw, kernelSize,
            new Stmt.Assign(acc, bin(BinaryOp.ADD, acc, product))))),
        store(y, acc, f, oh, ow));
    return new Kernel("conv", ImmutableList.of(x, w, y), loop(f, filters, loop(oh, out, loop(ow, out, body))), "Conv");
  }

  /** {@code y[i] = sum_j sum_k x[i, j, k]} accumulated in place: both j and k carry dependences. */
  static Kernel rowSum(long n, long m, long p) {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, n, m, p);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, n);
    Var i0 = new Var("i0");
    Stmt init = loop(i0, n, store(y, f32(0), i0));
    Stmt sum = loop(I, n, loop(J, m, loop(K, p, store(y, bin(BinaryOp.ADD, load(y, I), load(x, I, J, K)), I))));
    return new Kernel("row_sum", ImmutableList.of(x, y), Stmt.Block.of(init, sum), "ReduceSum");
  }

  /**
   * The kernel with every parallel and vectorized loop run backwards, serially. Independent
   * iterations give the same result in any order, so this exposes an illegal parallelize or
   * vectorize that the in-order interpreter alone would not. A vectorized sum into a local
   * ({@link dev.kiln.ir.loop.LaneReduction}) stays in order: its lanes are allowed to reassociate
   * it, so its rounding may differ by order (a max or min does not, and is reversed).
   */
  static Kernel reversingIndependentLoops(Kernel k) {
    return k.withBody(reverse(k.body()));
  }

  private static Stmt reverse(Stmt s) {
    return switch (s) {
      case Stmt.For f when f.kind() == LoopKind.VECTORIZED && dev.kiln.ir.loop.LaneReduction.of(f.body())
          .filter(r -> r.op() == BinaryOp.ADD).isPresent() -> f;
      case Stmt.For f when f.kind() == LoopKind.PARALLEL || f.kind() == LoopKind.VECTORIZED ->
          new Stmt.For(f.var(), f.extent(), LoopKind.SERIAL, Loops.substitute(reverse(f.body()),
              Map.of(f.var(), Exprs.sub(index(f.extent() - 1), f.var()))));
      case Stmt.For f -> f.withBody(reverse(f.body()));
      case Stmt.Block b -> new Stmt.Block(b.stmts().stream().map(Fixtures::reverse)
          .collect(ImmutableList.toImmutableList()));
      case Stmt.If i -> new Stmt.If(i.condition(), reverse(i.then()), i.otherwise().map(Fixtures::reverse));
      default -> s;
    };
  }

  /** Polynomial product {@code y[i + j] += x[i] * w[j]}: {@code i + j} is not injective. */
  static Kernel polyMul(long n, long m) {
    Buffer x = Buffer.of("x", DType.F32, BufferRole.INPUT, n);
    Buffer w = Buffer.of("w", DType.F32, BufferRole.INPUT, m);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, n + m - 1);
    Var i0 = new Var("i0");
    Expr at = Exprs.add(I, J);
    Stmt init = loop(i0, n + m - 1, store(y, f32(0), i0));
    Stmt product = loop(I, n, loop(J, m,
        store(y, bin(BinaryOp.ADD, load(y, at), bin(BinaryOp.MUL, load(x, I), load(w, J))), at)));
    return new Kernel("poly_mul", ImmutableList.of(x, w, y), Stmt.Block.of(init, product), "PolyMul");
  }

  /** A program of the given kernels: buffers by role, constants filled from the seed. */
  static LoopProgram program(long seed, Kernel... kernels) {
    Map<String, Buffer> all = new LinkedHashMap<>();
    for (Kernel k : kernels) {
      k.buffers().forEach(b -> all.putIfAbsent(b.name(), b));
    }
    List<Buffer> inputs = all.values().stream().filter(b -> b.role() == BufferRole.INPUT).toList();
    List<Buffer> outputs = all.values().stream().filter(b -> b.role() == BufferRole.OUTPUT).toList();
    List<Buffer> scratch = all.values().stream().filter(b -> b.role() == BufferRole.SCRATCH).toList();
    Map<Buffer, Tensor> constants = new LinkedHashMap<>();
    Random random = new Random(seed ^ 0x5eed);
    all.values().stream().filter(b -> b.role() == BufferRole.CONSTANT)
        .forEach(b -> constants.put(b, random(b, random)));
    return new LoopProgram("p", ImmutableList.copyOf(inputs), ImmutableList.copyOf(outputs),
        com.google.common.collect.ImmutableMap.copyOf(constants), ImmutableList.copyOf(scratch),
        ImmutableList.copyOf(kernels));
  }

  static Tensor random(Buffer b, Random random) {
    TensorWriter w = TensorWriter.of(b.dtype(), b.shapeArray());
    for (int i = 0; i < b.size(); i++) {
      w.setDouble(i, random.nextGaussian());
    }
    return w.build();
  }

  /** Runs a program on inputs drawn from the seed. */
  static Map<String, Tensor> run(LoopProgram program, long seed) {
    Random random = new Random(seed);
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    for (Buffer in : program.inputs()) {
      inputs.put(in.name(), random(in, random));
    }
    return LoopInterpreter.run(program, inputs);
  }

  /** Runs one kernel (as a program of its own) on inputs and constants drawn from the seed. */
  static Map<String, Tensor> run(Kernel kernel, long seed) {
    return run(program(seed, kernel), seed);
  }
}
