package dev.kiln.passes.schedule;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.IndexRange;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A conservative dependence test for a loop body run once per iteration of some loops.
 *
 * <p>The rule: for every buffer the body stores into, we take the dims in which all its stores
 * and loads in the body use the same index expression (all dims when it is only read where it is
 * written, like an accumulator), and work out which loop variables those indices
 * <em>determine</em> — loops whose different iterations necessarily touch different elements. Index expressions are split into affine forms
 * over atoms (variables, {@code floordiv}/{@code floormod} by constants); an affine form whose
 * coefficients grow like a mixed radix (each larger than the span of all smaller terms) is
 * injective, so it determines all its atoms; a known {@code floordiv(e, c)} and
 * {@code floormod(e, c)} together determine {@code e}. A loop not determined by some stored
 * buffer <em>carries</em> a dependence: two of its iterations may touch the same element. Any
 * assignment to a local declared outside the body makes every loop carry one. Loops of extent at
 * most 1 never carry one.
 */
final class Dependences {
  private Dependences() {}

  /**
   * The loops among {@code loops} whose iterations may depend on each other through {@code body},
   * each with the reason (naming the buffer or local), in the order of {@code loops}.
   *
   * @param extents the extents of every loop variable of the kernel
   * @param fixed loop variables that stay constant while {@code body} runs for all {@code loops}
   */
  static Map<Var, String> carried(Stmt body, List<Var> loops, Map<Var, Long> extents, Set<Var> fixed) {
    Map<Var, String> carried = new LinkedHashMap<>();
    for (Local l : outerLocalsAssigned(body)) {
      for (Var v : loops) {
        carried.putIfAbsent(v, "local " + l + " is assigned in one iteration and used in the next");
      }
    }
    storedBufferAccesses(body).forEach((buffer, indexLists) -> {
      // Only the dims where every access has the same index can tell iterations apart.
      List<ImmutableList<Expr>> lists = List.copyOf(indexLists);
      List<Expr> agreed = new ArrayList<>();
      for (int d = 0; d < buffer.rank(); d++) {
        Expr first = lists.getFirst().get(d);
        int dim = d;
        if (lists.stream().allMatch(l -> l.get(dim).equals(first))) {
          agreed.add(first);
        }
      }
      Set<Var> determined = determined(agreed, extents, fixed);
      for (Var v : loops) {
        if (!determined.contains(v)) {
          carried.putIfAbsent(v, lists.size() == 1
              ? "different iterations of " + v + " may write the same element " + buffer + lists.getFirst()
              : "different iterations of " + v + " may access the same element of " + buffer
                  + " (accessed at " + lists.stream().map(Object::toString)
                      .collect(java.util.stream.Collectors.joining(" and ")) + ")");
        }
      }
    });
    carried.keySet().removeIf(v -> extents.getOrDefault(v, 0L) <= 1);
    Map<Var, String> ordered = new LinkedHashMap<>();
    for (Var v : loops) {
      if (carried.containsKey(v)) {
        ordered.put(v, carried.get(v));
      }
    }
    return ordered;
  }

  /** Locals the body assigns without declaring them itself: a value carried between iterations. */
  static Set<Local> outerLocalsAssigned(Stmt body) {
    Set<Local> declared = new HashSet<>();
    Set<Local> assigned = new LinkedHashSet<>();
    Loops.forEachStmt(body, s -> {
      if (s instanceof Stmt.Let l) {
        declared.add(l.local());
      } else if (s instanceof Stmt.Assign a) {
        assigned.add(a.local());
      }
    });
    assigned.removeAll(declared);
    return assigned;
  }

  /** For each buffer the body stores into, the distinct index lists it is stored and loaded with. */
  static Map<Buffer, Set<ImmutableList<Expr>>> storedBufferAccesses(Stmt body) {
    Map<Buffer, Set<ImmutableList<Expr>>> out = new LinkedHashMap<>();
    Loops.forEachStmt(body, s -> {
      if (s instanceof Stmt.Store st) {
        out.computeIfAbsent(st.buffer(), b -> new LinkedHashSet<>()).add(st.indices());
      }
    });
    Loops.forEachExprIn(body, e -> {
      if (e instanceof Expr.Load l && out.containsKey(l.buffer())) {
        out.get(l.buffer()).add(l.indices());
      }
    });
    return out;
  }

  /** The loop variables whose value the element {@code indices} names is enough to know. */
  static Set<Var> determined(List<Expr> indices, Map<Var, Long> extents, Set<Var> fixed) {
    Set<Var> known = new HashSet<>(fixed);
    Set<Expr> knownAtoms = new HashSet<>();
    Deque<Expr> work = new ArrayDeque<>(indices);
    while (!work.isEmpty()) {
      Expr e = work.pop();
      Optional<Affine> form = Affine.of(e);
      if (form.isEmpty() || !injective(form.get(), extents, known)) {
        continue;
      }
      for (Expr atom : form.get().terms().keySet()) {
        if (!knownAtoms.add(atom)) {
          continue;
        }
        if (atom instanceof Var v) {
          known.add(v);
        } else if (atom instanceof Expr.Binary b) {
          BinaryOp partner = b.op() == BinaryOp.FLOOR_DIV ? BinaryOp.FLOOR_MOD : BinaryOp.FLOOR_DIV;
          long divisor = ((Expr.IntConst) b.rhs()).value();
          Optional<IndexRange> r = IndexRange.of(b.lhs(), extents);
          boolean pairKnown = knownAtoms.contains(new Expr.Binary(partner, b.lhs(), b.rhs()));
          boolean modOfSmall = b.op() == BinaryOp.FLOOR_MOD && r.isPresent()
              && r.get().min() >= 0 && r.get().max() < divisor;
          if (pairKnown || modOfSmall) {
            work.push(b.lhs());
          }
        }
      }
    }
    return known;
  }

  /**
   * Sufficient test that distinct values of the atoms give distinct values of the form: sorted by
   * coefficient, each coefficient exceeds the sum of the spans of the smaller terms. Atoms that
   * are fixed variables count as constants.
   */
  private static boolean injective(Affine form, Map<Var, Long> extents, Set<Var> fixed) {
    record Term(long coefficient, long span) {}
    List<Term> terms = new ArrayList<>();
    for (Map.Entry<Expr, Long> t : form.terms().entrySet()) {
      if (t.getKey() instanceof Var v && fixed.contains(v)) {
        continue;
      }
      Optional<IndexRange> r = IndexRange.of(t.getKey(), extents);
      if (r.isEmpty()) {
        return false;
      }
      terms.add(new Term(Math.abs(t.getValue()), r.get().max() - r.get().min()));
    }
    terms.sort(Comparator.comparingLong(Term::coefficient));
    long reach = 0;
    for (Term t : terms) {
      if (t.span() > 0 && t.coefficient() <= reach) {
        return false;
      }
      reach = Math.addExact(reach, Math.multiplyExact(t.coefficient(), t.span()));
    }
    return true;
  }
}
