package dev.kiln.passes.schedule;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The access-pattern test of {@link Schedule#vectorize}: lanes touch consecutive elements. */
final class Vectorization {
  private Vectorization() {}

  record Access(Buffer buffer, List<Expr> indices) {
    @Override
    public String toString() {
      return buffer + indices.toString();
    }
  }

  /**
   * The first access of the body that uses {@code lane} other than as a unit-stride term of its
   * last index: {@code lane} must not appear in other indices, and the last index must be affine
   * with coefficient 1 on {@code lane} and no other term (such as a floordiv) containing it.
   */
  static Optional<Access> firstNonContiguousAccess(Stmt body, Var lane) {
    List<Access> accesses = new ArrayList<>();
    Loops.forEachStmt(body, s -> {
      if (s instanceof Stmt.Store st) {
        accesses.add(new Access(st.buffer(), st.indices()));
      }
    });
    Loops.forEachExprIn(body, e -> {
      if (e instanceof Expr.Load l) {
        accesses.add(new Access(l.buffer(), l.indices()));
      }
    });
    return accesses.stream().filter(a -> !contiguous(a.indices(), lane)).findFirst();
  }

  private static boolean contiguous(List<Expr> indices, Var lane) {
    for (int d = 0; d + 1 < indices.size(); d++) {
      if (Loops.mentions(indices.get(d), lane)) {
        return false;
      }
    }
    if (indices.isEmpty() || !Loops.mentions(indices.getLast(), lane)) {
      return true;
    }
    Optional<Affine> form = Affine.of(indices.getLast());
    if (form.isEmpty() || form.get().coefficient(lane) != 1) {
      return false;
    }
    return form.get().terms().keySet().stream().noneMatch(atom -> !atom.equals(lane)
        && Loops.mentions(atom, lane));
  }
}
