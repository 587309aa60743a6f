package dev.kiln.passes.schedule;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A perfect loop nest: each loop's body is the next loop, possibly inside guards (an {@code if}
 * without else testing only loop variables, as splits make). Guards are free to move inward or
 * outward across loops — they read no memory — so a reordered nest puts each guard just inside
 * the innermost loop whose variable it tests.
 */
record Nest(ImmutableList<Stmt.For> loops, ImmutableList<Guard> guards, Stmt innermostBody,
    Set<Var> enclosingVars) {

  /** A guard found inside loop {@code depth} of the nest (0 = outermost). */
  record Guard(int depth, Expr condition) {}

  /** The perfect nest from the outermost to the innermost of the loops found, if there is one. */
  static Optional<Nest> spanning(List<Loops.Found> found) {
    Loops.Found innermost = null;
    for (Loops.Found f : found) {
      Set<Var> around = new HashSet<>();
      f.enclosing().forEach(e -> around.add(e.var()));
      if (found.stream().allMatch(o -> o == f || around.contains(o.loop().var()))) {
        innermost = f;
      }
    }
    if (innermost == null) {
      return Optional.empty();
    }
    int outermost = innermost.enclosing().size();
    for (Loops.Found f : found) {
      if (f != innermost) {
        outermost = Math.min(outermost, f.enclosing().size());
      }
    }
    List<Stmt.For> chain = new ArrayList<>(innermost.enclosing().subList(outermost, innermost.enclosing().size()));
    chain.add(innermost.loop());
    List<Guard> guards = new ArrayList<>();
    for (int d = 0; d + 1 < chain.size(); d++) {
      Stmt body = chain.get(d).body();
      while (body instanceof Stmt.If i && i.otherwise().isEmpty() && Loops.isPureIndex(i.condition())) {
        guards.add(new Guard(d, i.condition()));
        body = i.then();
      }
      if (!body.equals(chain.get(d + 1))) {
        return Optional.empty();
      }
    }
    Set<Var> enclosing = new HashSet<>();
    innermost.enclosing().subList(0, outermost).forEach(e -> enclosing.add(e.var()));
    return Optional.of(new Nest(ImmutableList.copyOf(chain), ImmutableList.copyOf(guards),
        innermost.loop().body(), enclosing));
  }

  List<Var> vars() {
    return loops.stream().map(Stmt.For::var).toList();
  }

  /** The nest order after the given loops take, in order, the positions they occupy. */
  List<Var> permuted(List<String> given) {
    List<Var> order = new ArrayList<>(vars());
    List<Integer> positions = new ArrayList<>();
    for (int p = 0; p < order.size(); p++) {
      if (given.contains(order.get(p).name())) {
        positions.add(p);
      }
    }
    for (int t = 0; t < given.size(); t++) {
      order.set(positions.get(t), new Var(given.get(t)));
    }
    return order;
  }

  /** The nest with its loops in {@code order}, each guard inside the innermost loop it tests. */
  Stmt rebuild(List<Var> order) {
    Map<Var, Stmt.For> byVar = new HashMap<>();
    loops.forEach(l -> byVar.put(l.var(), l));
    List<List<Expr>> guardsAt = new ArrayList<>();
    order.forEach(v -> guardsAt.add(new ArrayList<>()));
    for (Guard g : guards) {
      int at = 0;
      for (int p = 0; p < order.size(); p++) {
        if (Loops.mentions(g.condition(), order.get(p))) {
          at = p;
        }
      }
      guardsAt.get(at).add(g.condition());
    }
    Stmt s = innermostBody;
    for (int p = order.size() - 1; p >= 0; p--) {
      List<Expr> here = guardsAt.get(p);
      for (int g = here.size() - 1; g >= 0; g--) {
        s = Stmt.If.of(here.get(g), s);
      }
      Stmt.For old = byVar.get(order.get(p));
      s = new Stmt.For(old.var(), old.extent(), old.kind(), s);
    }
    return s;
  }
}
