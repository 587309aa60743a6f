package dev.kiln.ir.ops.shape;

import dev.kiln.ir.type.Dim;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/** Arithmetic on possibly symbolic dimensions, for shape inference. */
final class DimMath {
  private DimMath() {}

  /** {@code n} unknown dimensions. */
  static List<Dim> unknown(int n) {
    return new ArrayList<>(Collections.nCopies(n, Dim.UNKNOWN));
  }

  /**
   * The product of dims: a size when all are known (or one is 0), the single symbolic dim when the
   * others multiply to 1, else unknown.
   */
  static Dim product(List<Dim> dims) {
    long known = 1;
    Dim symbolic = null;
    int symbolicCount = 0;
    for (Dim d : dims) {
      if (d instanceof Dim.Known k) {
        if (k.size() == 0) {
          return Dim.of(0);
        }
        known = Math.multiplyExact(known, k.size());
      } else {
        symbolic = d;
        symbolicCount++;
      }
    }
    if (symbolicCount == 0) {
      return Dim.of(known);
    }
    return symbolicCount == 1 && known == 1 ? symbolic : Dim.UNKNOWN;
  }

  /** The sum of dims: a size when all are known, a dim plus known zeros is that dim, else unknown. */
  static Dim sum(List<Dim> dims) {
    long known = 0;
    Dim symbolic = null;
    int symbolicCount = 0;
    for (Dim d : dims) {
      if (d instanceof Dim.Known k) {
        known = Math.addExact(known, k.size());
      } else {
        symbolic = d;
        symbolicCount++;
      }
    }
    if (symbolicCount == 0) {
      return Dim.of(known);
    }
    return symbolicCount == 1 && known == 0 ? symbolic : Dim.UNKNOWN;
  }

  /** The result of dividing one product of dims by another. */
  sealed interface Quotient {
    /** The quotient as a dim (a size, a symbolic name, or unknown). */
    record Exact(Dim dim) implements Quotient {}

    /** Both products are known and the divisor does not divide the dividend. */
    record NotDivisible(long dividend, long divisor) implements Quotient {}
  }

  /**
   * {@code product(dividend) / product(divisor)}, cancelling symbolic dims named on both sides:
   * {@code [N, 12] / [4]} is 3N (unknown), {@code [N, 3, 4] / [12]} is {@code N}.
   */
  static Quotient quotient(List<Dim> dividend, List<Dim> divisor) {
    Optional<Reduced> r = Reduced.of(dividend, divisor);
    if (r.isEmpty()) {
      return new Quotient.Exact(Dim.UNKNOWN);
    }
    Reduced q = r.get();
    if (q.dividend == 0 && q.divisorNames.isEmpty() && q.divisor != 0) {
      return new Quotient.Exact(Dim.of(0));
    }
    if (!q.divisorNames.isEmpty() || q.divisor == 0) {
      return new Quotient.Exact(Dim.UNKNOWN);
    }
    if (q.dividendNames.isEmpty()) {
      return q.dividend % q.divisor == 0
          ? new Quotient.Exact(Dim.of(q.dividend / q.divisor))
          : new Quotient.NotDivisible(q.dividend, q.divisor);
    }
    if (q.dividendNames.size() == 1 && q.dividend == q.divisor) {
      return new Quotient.Exact(q.dividendNames.get(0));
    }
    return new Quotient.Exact(Dim.UNKNOWN);
  }

  /**
   * Whether two products of dims certainly differ: both reduce (after cancelling equal names) to
   * different known sizes.
   */
  static boolean certainlyDifferent(List<Dim> a, List<Dim> b) {
    Optional<Reduced> r = Reduced.of(a, b);
    return r.isPresent()
        && r.get().dividendNames.isEmpty()
        && r.get().divisorNames.isEmpty()
        && r.get().dividend != r.get().divisor;
  }

  /** Whether two dim lists of equal length differ in a position where both sizes are known. */
  static boolean certainlyDifferentDims(List<Dim> a, List<Dim> b) {
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) instanceof Dim.Known && b.get(i) instanceof Dim.Known && !a.get(i).equals(b.get(i))) {
        return true;
      }
    }
    return false;
  }

  /** Two products with the symbolic dims they share cancelled out. */
  private record Reduced(long dividend, List<Dim> dividendNames, long divisor, List<Dim> divisorNames) {
    /** Empty when an unknown dim makes the products incomparable. */
    static Optional<Reduced> of(List<Dim> dividend, List<Dim> divisor) {
      List<Dim> names = new ArrayList<>();
      long known = 1;
      for (Dim d : dividend) {
        switch (d) {
          case Dim.Known k -> known = Math.multiplyExact(known, k.size());
          case Dim.Named n -> names.add(n);
          case Dim.Unknown u -> {
            return Optional.empty();
          }
        }
      }
      List<Dim> divisorNames = new ArrayList<>();
      long divisorKnown = 1;
      for (Dim d : divisor) {
        switch (d) {
          case Dim.Known k -> divisorKnown = Math.multiplyExact(divisorKnown, k.size());
          case Dim.Named n -> {
            if (!names.remove(n)) {
              divisorNames.add(n);
            }
          }
          case Dim.Unknown u -> {
            return Optional.empty();
          }
        }
      }
      return Optional.of(new Reduced(known, names, divisorKnown, divisorNames));
    }
  }
}
