package dev.kiln.codegen.emit;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.compiled.Transposes;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Serial copy nests that transpose, as calls of {@link Transposes#transpose16} on 16 x 16 blocks:
 * <pre>  for x < X: for y < Y: dst[...] = src[...]</pre>
 * where the source is contiguous along one of the two loops and the destination along the other
 * (the reorders between NCHW and NCHWc lower to exactly this, one row of the blocked layout per
 * nest). Scalar, such a nest runs at one element per few cycles (C2 vectorizes neither the
 * strided load nor the strided store); blocked, each full 8 x 8 piece of a block is 8 vector
 * loads, 24 two-vector permutes and 8 vector stores, smaller pieces at the edges element by
 * element ({@link Transposes}). Applies only where the class's species has 16 float lanes (the
 * AVX-512 machines this was measured on; the helper itself uses 256-bit vectors, see its
 * comment); elsewhere, and for any other nest, the emitter's scalar loops stay.
 *
 * <p>Exact: a copy moves bits, so the result is the scalar nest's. Source and destination must
 * be different buffers (a transposing copy in place would read what it already wrote).
 */
final class TransposeLoops {
  private final ScalarExprs scalar;
  private final KernelEmitter kernel;

  TransposeLoops(ScalarExprs scalar, KernelEmitter kernel) {
    this.scalar = scalar;
    this.kernel = kernel;
  }

  /**
   * Emits {@code f} as blocked transposes and returns true when it is such a nest; else emits
   * nothing and returns false.
   */
  boolean emit(Stmt.For f, Env env, CodeBlock.Builder code) {
    if (kernel.vectorLanes() != 16 || !kernel.vectorizeEnabled() || f.kind() != LoopKind.SERIAL
        || !(f.body() instanceof Stmt.For g) || g.kind() != LoopKind.SERIAL
        || !(g.body() instanceof Stmt.Store st) || !(st.value() instanceof Expr.Load ld)) {
      return false;
    }
    Buffer dst = st.buffer();
    Buffer src = ld.buffer();
    if (dst.dtype() != DType.F32 || src.dtype() != DType.F32 || dst.equals(src)) {
      return false;
    }
    Var outer = f.var();
    Var inner = g.var();
    // x: the loop along which the source is contiguous; y: the destination's.
    Var x;
    Var y;
    if (stride(src, ld, inner) == 1 && stride(dst, st, outer) == 1) {
      x = inner;
      y = outer;
    } else if (stride(src, ld, outer) == 1 && stride(dst, st, inner) == 1) {
      x = outer;
      y = inner;
    } else {
      return false;
    }
    long srcStep = stride(src, ld, y);
    long dstStep = stride(dst, st, x);
    // Affine in both (a non-affine index has no step), and a real transpose: along y the source
    // moves, along x the destination does (else the nest is a plain copy, vectorizable as is).
    if (srcStep == Long.MIN_VALUE || dstStep == Long.MIN_VALUE || srcStep == 0 || dstStep == 0
        || srcStep == 1 || dstStep == 1) {
      return false;
    }
    long xExtent = x == outer ? f.extent() : g.extent();
    long yExtent = y == outer ? f.extent() : g.extent();
    String xv = kernel.fresh("x");
    String yv = kernel.fresh("y");
    Env block = env.child();
    block.bind(x, xv, xExtent);
    block.bind(y, yv, yExtent);
    code.beginControlFlow("for (int $L = 0; $L < $L; $L += 16)", yv, yv, yExtent, yv);
    code.beginControlFlow("for (int $L = 0; $L < $L; $L += 16)", xv, xv, xExtent, xv);
    // Block (y0, x0): source rows are y (step srcStep), each cols = x contiguous floats;
    // destination rows are x (step dstStep), each rows = y contiguous floats.
    code.addStatement("$T.transpose16($L, $L, $L, $L, $L, $L, $T.min(16, $L - $L), $T.min(16, $L - $L))",
        Transposes.class, scalar.arrayName(src), scalar.index(src, ld.indices(), block), srcStep,
        scalar.arrayName(dst), scalar.index(dst, st.indices(), block), dstStep,
        Math.class, yExtent, yv, Math.class, xExtent, xv);
    code.endControlFlow();
    code.endControlFlow();
    kernel.note("copy nest " + CommentText.escape(outer.name()) + " x " + CommentText.escape(inner.name())
        + " emitted as 16 x 16 register transposes");
    return true;
  }

  /** The flat index's step per step of {@code v}, or {@code Long.MIN_VALUE} when not affine in it. */
  private static long stride(Buffer b, Stmt.Store st, Var v) {
    OptionalLong s = VectorLoops.stride(b, st.indices(), v, Set.of());
    return s.isPresent() ? s.getAsLong() : Long.MIN_VALUE;
  }

  private static long stride(Buffer b, Expr.Load ld, Var v) {
    OptionalLong s = VectorLoops.stride(b, ld.indices(), v, Set.of());
    return s.isPresent() ? s.getAsLong() : Long.MIN_VALUE;
  }
}
