package dev.kiln.passes.schedule;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.IndexRange;
import dev.kiln.ir.loop.Var;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** A new memory layout for a constant buffer, applied by {@link Pack}. */
public sealed interface Layout {

  /** Why the layout does not fit a buffer of this rank, or empty when it does. */
  Optional<String> misfit(List<Long> shape);

  /** The shape of the re-laid-out buffer. */
  ImmutableList<Long> shape(List<Long> shape);

  /** Where element {@code old} of the original lives in the new layout. */
  List<Expr> indices(List<Expr> old, Map<Var, Long> extents);

  /** The original element a new-layout element holds, or empty for padding (which is zero). */
  Optional<long[]> source(long[] packed, List<Long> shape);

  /** {@code panels(1, 8)} */
  String text();

  /**
   * Cuts dimension {@code axis} into panels of {@code width} and makes the panel number the
   * outermost dimension and the position in the panel the innermost: {@code [K, N]} with
   * {@code panels(1, nr)} becomes {@code [ceil(N / nr), K, nr]}, element {@code [k, n]} moving
   * to {@code [n / nr, k, n % nr]}, so a micro-kernel reading {@code nr} columns of a row walks
   * memory contiguously. A last partial panel is padded with zeros.
   */
  record Panels(int axis, long width) implements Layout {
    @Override
    public Optional<String> misfit(List<Long> shape) {
      if (axis < 0 || axis >= shape.size()) {
        return Optional.of("axis " + axis + " is not a dim of a rank-" + shape.size() + " buffer");
      }
      return width < 1 ? Optional.of("the panel width must be at least 1, got " + width) : Optional.empty();
    }

    @Override
    public ImmutableList<Long> shape(List<Long> shape) {
      List<Long> out = new ArrayList<>();
      out.add((shape.get(axis) + width - 1) / width);
      for (int d = 0; d < shape.size(); d++) {
        if (d != axis) {
          out.add(shape.get(d));
        }
      }
      out.add(width);
      return ImmutableList.copyOf(out);
    }

    @Override
    public List<Expr> indices(List<Expr> old, Map<Var, Long> extents) {
      Expr x = old.get(axis);
      Expr[] qr = divMod(x, width, extents);
      List<Expr> out = new ArrayList<>();
      out.add(qr[0]);
      for (int d = 0; d < old.size(); d++) {
        if (d != axis) {
          out.add(old.get(d));
        }
      }
      out.add(qr[1]);
      return out;
    }

    @Override
    public Optional<long[]> source(long[] packed, List<Long> shape) {
      long[] old = new long[shape.size()];
      long x = packed[0] * width + packed[packed.length - 1];
      if (x >= shape.get(axis)) {
        return Optional.empty();
      }
      int p = 1;
      for (int d = 0; d < old.length; d++) {
        old[d] = d == axis ? x : packed[p++];
      }
      return Optional.of(old);
    }

    @Override
    public String text() {
      return "panels(" + axis + ", " + width + ")";
    }
  }

  /** Permutes the dims: new dim {@code k} is old dim {@code order[k]} ({@code permute(1, 0)} transposes). */
  record Permute(ImmutableList<Integer> order) implements Layout {
    public Permute {
      order = ImmutableList.copyOf(order);
    }

    public static Permute of(Integer... order) {
      return new Permute(ImmutableList.copyOf(order));
    }

    @Override
    public Optional<String> misfit(List<Long> shape) {
      boolean[] seen = new boolean[shape.size()];
      for (int d : order) {
        if (d < 0 || d >= shape.size() || seen[d]) {
          return Optional.of(text() + " is not a permutation of the " + shape.size() + " dims");
        }
        seen[d] = true;
      }
      return order.size() == shape.size() ? Optional.empty()
          : Optional.of(text() + " is not a permutation of the " + shape.size() + " dims");
    }

    @Override
    public ImmutableList<Long> shape(List<Long> shape) {
      return order.stream().map(shape::get).collect(ImmutableList.toImmutableList());
    }

    @Override
    public List<Expr> indices(List<Expr> old, Map<Var, Long> extents) {
      return order.stream().map(old::get).toList();
    }

    @Override
    public Optional<long[]> source(long[] packed, List<Long> shape) {
      long[] old = new long[packed.length];
      for (int k = 0; k < packed.length; k++) {
        old[order.get(k)] = packed[k];
      }
      return Optional.of(old);
    }

    @Override
    public String text() {
      return "permute(" + order.stream().map(String::valueOf).collect(Collectors.joining(", ")) + ")";
    }
  }

  /**
   * {@code floordiv(x, w)} and {@code floormod(x, w)}, simplified when {@code x} is affine and
   * its terms whose coefficients are not multiples of {@code w} stay within {@code [0, w)}: then
   * {@code (x.o * w + x.i)} splits back into {@code x.o} and {@code x.i}.
   */
  private static Expr[] divMod(Expr x, long w, Map<Var, Long> extents) {
    Optional<Affine> form = Affine.of(x);
    if (form.isPresent()) {
      Expr quotient = Exprs.index(Math.floorDiv(form.get().constant(), w));
      Expr remainder = Exprs.index(Math.floorMod(form.get().constant(), w));
      for (Map.Entry<Expr, Long> t : form.get().terms().entrySet()) {
        long c = t.getValue();
        if (c % w == 0) {
          quotient = Loops.binary(BinaryOp.ADD, quotient, Loops.binary(BinaryOp.MUL, t.getKey(), Exprs.index(c / w)));
        } else {
          remainder = Loops.binary(BinaryOp.ADD, remainder, Loops.binary(BinaryOp.MUL, t.getKey(), Exprs.index(c)));
        }
      }
      Optional<IndexRange> r = IndexRange.of(remainder, extents);
      if (r.isPresent() && r.get().min() >= 0 && r.get().max() < w) {
        return new Expr[] {quotient, remainder};
      }
    }
    return new Expr[] {Loops.binary(BinaryOp.FLOOR_DIV, x, Exprs.index(w)),
        Loops.binary(BinaryOp.FLOOR_MOD, x, Exprs.index(w))};
  }
}
