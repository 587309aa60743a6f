package dev.kiln.ir.loop;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.util.List;
import java.util.Optional;

/** A loop-IR statement. Immutable; structural equality. */
public sealed interface Stmt permits Stmt.For, Stmt.Store, Stmt.Block, Stmt.If, Stmt.Let, Stmt.Assign,
    Stmt.Matmul, Stmt.BlockedConv, Stmt.Attention {

  /** {@code for var in 0..extent}: loops are normalized to start at 0 with step 1. */
  record For(Var var, long extent, LoopKind kind, Stmt body) implements Stmt {
    public For {
      checkArgument(extent >= 0, "loop %s has a negative extent %s", var, extent);
    }

    public For withKind(LoopKind newKind) {
      return new For(var, extent, newKind, body);
    }

    public For withBody(Stmt newBody) {
      return new For(var, extent, kind, newBody);
    }
  }

  /** {@code buffer[indices...] = value}. */
  record Store(Buffer buffer, ImmutableList<Expr> indices, Expr value) implements Stmt {
    public Store {
      indices = ImmutableList.copyOf(indices);
      Expr.checkIndices(buffer, indices);
      checkArgument(value.type() == buffer.dtype(),
          "storing %s (%s) into %s of %s", value, value.type(), buffer, buffer.dtype());
    }
  }

  /** Statements in order; locals declared in a block are visible to its later statements. */
  record Block(ImmutableList<Stmt> stmts) implements Stmt {
    public Block {
      stmts = ImmutableList.copyOf(stmts);
    }

    public static Stmt of(List<Stmt> stmts) {
      return stmts.size() == 1 ? stmts.get(0) : new Block(ImmutableList.copyOf(stmts));
    }

    public static Stmt of(Stmt... stmts) {
      return of(List.of(stmts));
    }
  }

  record If(Expr condition, Stmt then, Optional<Stmt> otherwise) implements Stmt {
    public If {
      checkArgument(condition.type() == dev.kiln.ir.type.DType.BOOL,
          "if condition must be bool, got %s", condition.type());
    }

    public static If of(Expr condition, Stmt then) {
      return new If(condition, then, Optional.empty());
    }
  }

  /** Declares a scalar local with its initial value. */
  record Let(Local local, Expr init) implements Stmt {
    public Let {
      checkArgument(init.type() == local.type(),
          "local %s of %s initialized with %s", local, local.type(), init.type());
    }
  }

  record Assign(Local local, Expr value) implements Stmt {
    public Assign {
      checkArgument(value.type() == local.type(),
          "local %s of %s assigned %s", local, local.type(), value.type());
    }
  }

  /**
   * The matrix-multiply intrinsic (a "tensor intrinsic" in TVM's words): for every
   * {@code i < m, j < n},
   * <pre>  c(i, j) = epilogue  with  acc = sum over p < k of a(i, p) * b(p, j),
   *                          each addend's local = its operand(i, j)</pre>
   * The reference order of the sum is p = 0, 1, ..., k-1 in the accumulator's type; compiled code
   * blocks and reassociates it (GEMM kernels do), so results agree within a tolerance, not bit for
   * bit. The epilogue is a scalar expression over {@code acc}, the addends' locals and constants
   * only (no loads, no loop variables): bias, residual, alpha/beta scaling and activations, which
   * code generation applies while the result block is still in registers or cache.
   *
   * <p>Operands are f32 today; the accumulator's type is the {@code acc} local's, which leaves room
   * for integer GEMM (u8/i8 operands, i32 accumulator).
   */
  record Matmul(MatrixOperand a, MatrixOperand b, MatrixOperand c, long m, long n, long k, Local acc,
      ImmutableList<Addend> addends, Expr epilogue) implements Stmt {
    public Matmul {
      addends = ImmutableList.copyOf(addends);
      checkArgument(m >= 0 && n >= 0 && k >= 0, "matmul extents %s x %s x %s", m, n, k);
      checkArgument(acc.type() == c.buffer().dtype(), "accumulator %s of %s stores into %s",
          acc, acc.type(), c.buffer());
      checkArgument(epilogue.type() == c.buffer().dtype(), "epilogue %s of %s stores into %s",
          epilogue, epilogue.type(), c.buffer());
      for (Addend x : addends) {
        checkArgument(x.local().type() == x.operand().buffer().dtype(), "addend %s of %s reads %s",
            x.local(), x.local().type(), x.operand().buffer());
      }
    }

    /** The plain product: {@code c = a * b}, no epilogue. */
    public static Matmul plain(MatrixOperand a, MatrixOperand b, MatrixOperand c, long m, long n, long k,
        Local acc) {
      return new Matmul(a, b, c, m, n, k, acc, ImmutableList.of(), acc);
    }

    /** Every buffer the statement reads: a, b and the addends. */
    public List<MatrixOperand> reads() {
      ImmutableList.Builder<MatrixOperand> r = ImmutableList.builder();
      r.add(a, b);
      addends.forEach(x -> r.add(x.operand()));
      return r.build();
    }

    /** Whether the epilogue is just the accumulator. */
    public boolean plainEpilogue() {
      return addends.isEmpty() && epilogue.equals(acc);
    }
  }

  /**
   * Scaled dot-product attention of one head, three steps in one statement: for every
   * {@code i < m},
   * <pre>  scores.c(i, p) = scores' epilogue of sum over t of q(i, t) * k(t, p)     (p < n: the scores matmul)
   *   output.a(i, p) = softmax over p of scores.c(i, p)                       (max, exp(x - max), sum, divide)
   *   output.c(i, j) = output's epilogue of sum over p of output.a(i, p) * v(p, j)  (j < dv: the output matmul)</pre>
   * with the softmax as the Softmax lowering computes it (f32, in this order). The two matmuls
   * are ordinary {@link Matmul}s whose intermediate matrices (the scores {@code scores.c} and the
   * probabilities {@code output.a}, {@code m x n} each with rows contiguous) belong to the
   * statement: no other kernel reads them, so compiled code keeps a block of rows of them in
   * cache (the fused attention of {@code fuse-attention}) and need not write them at all.
   */
  record Attention(Matmul scores, Matmul output) implements Stmt {
    public Attention {
      checkArgument(output.m() == scores.m() && output.k() == scores.n(),
          "attention: scores %sx%s and output %sx%sx%s do not chain", scores.m(), scores.n(),
          output.m(), output.n(), output.k());
      checkArgument(scores.c().colStride() == 1 && scores.c().rowStride() == scores.n()
          && output.a().colStride() == 1 && output.a().rowStride() == scores.n(),
          "attention: scores %s and probabilities %s must be rows of %s contiguous elements",
          scores.c(), output.a(), scores.n());
      checkArgument(scores.c().buffer().dtype() == dev.kiln.ir.type.DType.F32
          && output.a().buffer().dtype() == dev.kiln.ir.type.DType.F32,
          "attention: scores and probabilities must be f32");
    }

    /** The buffers the statement reads from outside: q, k, v and the epilogues' addends. */
    public List<MatrixOperand> reads() {
      ImmutableList.Builder<MatrixOperand> r = ImmutableList.builder();
      r.addAll(scores.reads());
      r.add(output.b());
      output.addends().forEach(x -> r.add(x.operand()));
      return r.build();
    }

    /** The buffers it writes: its two intermediates and the output. */
    public List<MatrixOperand> writes() {
      return List.of(scores.c(), output.a(), output.c());
    }
  }

  /** A matrix read element-wise by a {@link Matmul}'s epilogue, under the name {@code local}. */
  record Addend(Local local, MatrixOperand operand) {
    public Addend {
      java.util.Objects.requireNonNull(local, "local");
      java.util.Objects.requireNonNull(operand, "operand");
    }
  }

  /**
   * The direct-convolution intrinsic on the blocked channel layout NCHWc: x is
   * {@code [N, ceil(C/b), H, W, b]}, y is {@code [N, ceil(M/b), OH, OW, b]} (logical element
   * {@code (n, c, h, w)} at {@code [n, c / b, h, w, c % b]}), w is ONNX's {@code [M, C, KH, KW]}
   * (dense: group 1). x may instead be plain NCHW {@code [N, C, H, W]} (the first convolution of
   * an image network, C = 3: its input left unblocked, see {@link #inputBlock}). For every n,
   * m < M, oh, ow:
   * <pre>  y(n, m, oh, ow) = epilogue  with  acc = sum over c < C, kh < KH, kw < KW (in this order)
   *       of x(n, c, oh * SH - PT + kh * DH, ow * SW - PL + kw * DW) * w[m, c, kh, kw],
   *   taps outside the image skipped (zero padding), each addend's local = its element</pre>
   * and the pad lanes of y ({@code m >= M}) are 0. Like {@link Matmul}, compiled code blocks and
   * reassociates the sum, so results agree within a tolerance; the epilogue is over {@code acc},
   * the addends' locals and constants only.
   *
   * <p>The statement covers the whole of its buffers (no offsets): code generation owns its loops,
   * packing and parallel split, so schedules refuse kernels holding one.
   */
  record BlockedConv(Buffer x, Buffer w, Buffer y, ConvGeometry geometry, Local acc,
      ImmutableList<ConvAddend> addends, Expr epilogue) implements Stmt {
    public BlockedConv {
      addends = ImmutableList.copyOf(addends);
      checkArgument(acc.type() == y.dtype(), "accumulator %s of %s stores into %s", acc, acc.type(), y);
      checkArgument(epilogue.type() == y.dtype(), "epilogue %s of %s stores into %s",
          epilogue, epilogue.type(), y);
      for (ConvAddend a : addends) {
        checkArgument(a.local().type() == a.buffer().dtype(), "addend %s of %s reads %s",
            a.local(), a.local().type(), a.buffer());
      }
    }

    /** The channel block b (the last dimension of x and y). */
    public int block() {
      return (int) y.dim(y.rank() - 1);
    }

    /**
     * The lanes of one input channel block: b for a blocked x, 1 for an NCHW x (which is the
     * blocked layout with blocks of one channel, {@code [N, C, H, W, 1]}).
     */
    public int inputBlock() {
      return x.rank() == 4 ? 1 : block();
    }

    /** Every buffer the statement reads: x, w and the addends. */
    public List<Buffer> reads() {
      ImmutableList.Builder<Buffer> r = ImmutableList.builder();
      r.add(x, w);
      addends.forEach(a -> r.add(a.buffer()));
      return r.build();
    }

    public boolean plainEpilogue() {
      return addends.isEmpty() && epilogue.equals(acc);
    }

    public BlockedConv withWeights(Buffer newW) {
      return new BlockedConv(x, newW, y, geometry, acc, addends, epilogue);
    }
  }

  /**
   * A buffer read element-wise by a {@link BlockedConv}'s epilogue under the name {@code local}:
   * per output channel ({@code [M]}, a bias) or per output element (y's shape, a residual).
   */
  record ConvAddend(Local local, Buffer buffer, boolean perChannel) {
    public ConvAddend {
      java.util.Objects.requireNonNull(local, "local");
      java.util.Objects.requireNonNull(buffer, "buffer");
    }
  }
}
