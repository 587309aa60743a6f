package dev.kiln.passes.fusion;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.MatrixOperand;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.passes.schedule.Affine;
import java.util.List;
import java.util.Optional;

/**
 * A map from the elements of a buffer {@code t} to flat indices of another buffer, affine in
 * each index dim of {@code t}: {@code t[i0, i1, ..] -> base + sum(coefficient[d] * id)}. What a
 * transposing copy is, seen from either end; it moves a matmul operand on {@code t} onto the
 * other buffer by rewriting its offset and strides ({@link #remap}).
 */
record AffineMap(Buffer t, long base, long[] coefficients) {

  /** The map whose value at t's row-major element {@code e} is {@code flat[e]}; empty if not affine. */
  static Optional<AffineMap> of(Buffer t, long[] flat) {
    if (flat.length != t.size() || flat.length == 0 || flat[0] < 0) {
      return Optional.empty();
    }
    long[] strides = t.strides();
    long[] c = new long[t.rank()];
    for (int d = 0; d < t.rank(); d++) {
      c[d] = t.dim(d) > 1 ? flat[(int) strides[d]] - flat[0] : 0;
    }
    long[] dims = t.shapeArray();
    long[] v = new long[dims.length];
    for (int e = 0; e < flat.length; e++) {
      long expected = flat[0];
      for (int d = 0; d < dims.length; d++) {
        expected += c[d] * v[d];
      }
      if (flat[e] != expected) {
        return Optional.empty();
      }
      for (int d = dims.length - 1; d >= 0; d--) {
        if (++v[d] < dims[d]) {
          break;
        }
        v[d] = 0;
      }
    }
    return Optional.of(new AffineMap(t, flat[0], c));
  }

  /**
   * The operand {@code x} on t (a {@code rows x cols} matrix at an offset affine in the loops
   * around the matmul) as the same elements of {@code target}; empty when the operand's rows,
   * columns or batch steps do not each stay within one dim of t (a step that carries into the
   * next dim has no single stride on the other side).
   *
   * @param output whether x is the matmul's result (its column stride must stay 1 when it has a
   *     single column)
   */
  Optional<MatrixOperand> remap(MatrixOperand x, Buffer target, long rows, long cols,
      List<Stmt.For> loops, boolean output) {
    Optional<Affine> form = Affine.ofVariables(x.offset());
    if (form.isEmpty()) {
      return Optional.empty();
    }
    long[] strides = t.strides();
    long[] budget = new long[t.rank()];
    long rest = form.get().constant();
    if (rest < 0 || rest >= t.size()) {
      return Optional.empty();
    }
    for (int d = 0; d < t.rank(); d++) {
      budget[d] = rest / strides[d];
      rest %= strides[d];
    }
    long newOffsetConstant = base;
    for (int d = 0; d < t.rank(); d++) {
      newOffsetConstant += coefficients(d) * budget[d];
    }
    Optional<Long> rowStride = step(x.rowStride(), rows, strides, budget);
    Optional<Long> colStride = step(x.colStride(), cols, strides, budget);
    if (rowStride.isEmpty() || colStride.isEmpty()) {
      return Optional.empty();
    }
    Expr offset = Exprs.index(newOffsetConstant);
    for (Stmt.For f : loops) {
      long w = form.get().coefficient(f.var());
      Optional<Long> s = step(w, f.extent(), strides, budget);
      if (s.isEmpty()) {
        return Optional.empty();
      }
      if (s.get() != 0) {
        offset = Exprs.add(Exprs.mul(f.var(), Exprs.index(s.get())), offset);
      }
    }
    if (form.get().terms().keySet().stream()
        .anyMatch(v -> loops.stream().noneMatch(f -> f.var().equals(v)))) {
      return Optional.empty(); // a variable other than an enclosing loop's
    }
    long cs = output && cols == 1 ? 1 : colStride.get();
    return Optional.of(new MatrixOperand(target, offset, rowStride.get(), cs));
  }

  private long coefficients(int d) {
    return coefficients[d];
  }

  /**
   * The stride on the target of a step of {@code w} elements of t taken {@code extent - 1} times:
   * it must be whole units of one dim that fit in what that dim has left (no carry).
   */
  private Optional<Long> step(long w, long extent, long[] strides, long[] budget) {
    if (extent <= 1 || w == 0) {
      return Optional.of(0L);
    }
    if (w < 0) {
      return Optional.empty();
    }
    for (int d = t.rank() - 1; d >= 0; d--) {
      if (w % strides[d] == 0) {
        long q = w / strides[d];
        if (budget[d] + q * (extent - 1) < t.dim(d)) {
          budget[d] += q * (extent - 1);
          long s = coefficients[d] * q;
          return s < 0 ? Optional.empty() : Optional.of(s);
        }
      }
    }
    return Optional.empty();
  }
}
