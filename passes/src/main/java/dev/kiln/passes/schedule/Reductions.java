package dev.kiln.passes.schedule;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rewrites behind {@link Schedule#accumulateInPlace} and {@link Schedule#fission}, which
 * together turn {@code for j { let acc = 0; for k { acc += f }; c[j] = acc }} into
 * {@code for j { c[j] = 0 }; for j2 { for k { c[j2] = c[j2] + f } }}, a nest in which the
 * reduction loop may move outward and the output loop be vectorized.
 */
final class Reductions {
  private Reductions() {}

  /** The parts of {@code let acc = init; reduction; buffer[indices] = acc}. */
  record Accumulation(Local acc, Expr init, Stmt reduction, Buffer buffer, ImmutableList<Expr> indices) {

    /** {@code buffer[indices] = init; reduction with acc read from and written to buffer[indices]}. */
    Stmt inPlace() {
      Expr at = Exprs.load(buffer, indices);
      return Stmt.Block.of(new Stmt.Store(buffer, indices, init), replace(reduction, at));
    }

    private Stmt replace(Stmt s, Expr at) {
      return switch (s) {
        case Stmt.Assign a when a.local().equals(acc) ->
            new Stmt.Store(buffer, indices, Loops.substitute(a.value(), Map.of(acc, at)));
        case Stmt.For f -> f.withBody(replace(f.body(), at));
        case Stmt.Block b -> new Stmt.Block(b.stmts().stream().map(x -> replace(x, at))
            .collect(ImmutableList.toImmutableList()));
        case Stmt.If i -> new Stmt.If(Loops.substitute(i.condition(), Map.of(acc, at)), replace(i.then(), at),
            i.otherwise().map(o -> replace(o, at)));
        default -> Loops.mapExprs(s, e -> Loops.substitute(e, Map.of(acc, at)));
      };
    }
  }

  /** Loops that distribute {@code loop}: the first keeps its variable, the others get fresh ones. */
  static List<Stmt.For> distribute(Stmt.For loop, List<Stmt> parts, Set<String> usedNames) {
    Set<String> used = new HashSet<>(usedNames);
    List<Stmt.For> out = new ArrayList<>();
    for (int p = 0; p < parts.size(); p++) {
      Var v = loop.var();
      Stmt body = parts.get(p);
      if (p > 0) {
        v = new Var(Loops.fresh(loop.var().name(), used));
        used.add(v.name());
        body = Loops.substitute(body, Map.of(loop.var(), v));
      }
      out.add(new Stmt.For(v, loop.extent(), loop.kind(), body));
    }
    return out;
  }
}
