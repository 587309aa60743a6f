package dev.kiln.passes.fusion;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Removes the {@code floordiv}/{@code floormod} that composing index maps leaves (a Reshape view
 * inlined into its reader: {@code g[floordiv(i1 * 256 + i2, 256), floormod(i1 * 256 + i2, 256)]}
 * over {@code i2 in 0..256} is {@code g[i1, i2]}), using the loops' extents: when the part of the
 * dividend not divisible by the divisor stays within {@code [0, divisor)}, the quotient and the
 * remainder split exactly. Plain indices are cheaper and let the loop vectorize (a lane variable
 * under a floormod is not unit-stride to the scheduler).
 */
final class IndexSimplifier {
  private IndexSimplifier() {}

  /** {@code s} with the indices of its loads and stores simplified. */
  static Stmt simplify(Stmt s) {
    return simplify(s, new HashMap<>());
  }

  private static Stmt simplify(Stmt s, Map<Var, Long> extents) {
    return switch (s) {
      case Stmt.For f -> {
        extents.put(f.var(), f.extent());
        Stmt body = simplify(f.body(), extents);
        extents.remove(f.var());
        yield f.withBody(body);
      }
      case Stmt.Block b -> new Stmt.Block(b.stmts().stream().map(x -> simplify(x, extents))
          .collect(ImmutableList.toImmutableList()));
      case Stmt.If i -> new Stmt.If(expr(i.condition(), extents), simplify(i.then(), extents),
          i.otherwise().map(x -> simplify(x, extents)));
      case Stmt.Store st -> new Stmt.Store(st.buffer(), st.indices().stream().map(x -> index(x, extents))
          .collect(ImmutableList.toImmutableList()), expr(st.value(), extents));
      case Stmt.Let l -> new Stmt.Let(l.local(), expr(l.init(), extents));
      case Stmt.Assign a -> new Stmt.Assign(a.local(), expr(a.value(), extents));
      case Stmt.Matmul mm -> mm;
      case Stmt.BlockedConv bc -> bc;
    };
  }

  /** A value expression: only the indices of its loads change. */
  private static Expr expr(Expr e, Map<Var, Long> extents) {
    return switch (e) {
      case Expr.Load l -> new Expr.Load(l.buffer(), l.indices().stream().map(x -> index(x, extents))
          .collect(ImmutableList.toImmutableList()));
      case Expr.Binary b -> new Expr.Binary(b.op(), expr(b.lhs(), extents), expr(b.rhs(), extents));
      case Expr.Unary u -> new Expr.Unary(u.op(), expr(u.operand(), extents));
      case Expr.Call c -> new Expr.Call(c.fn(), c.args().stream().map(x -> expr(x, extents))
          .collect(ImmutableList.toImmutableList()));
      case Expr.Cast c -> new Expr.Cast(c.to(), expr(c.operand(), extents));
      case Expr.Select x -> new Expr.Select(expr(x.condition(), extents), expr(x.ifTrue(), extents),
          expr(x.ifFalse(), extents));
      default -> e;
    };
  }

  /** An index expression with each splittable floordiv and floormod by a constant removed. */
  static Expr index(Expr e, Map<Var, Long> extents) {
    if (!(e instanceof Expr.Binary b)) {
      return e;
    }
    Expr lhs = index(b.lhs(), extents);
    Expr rhs = index(b.rhs(), extents);
    if ((b.op() == BinaryOp.FLOOR_DIV || b.op() == BinaryOp.FLOOR_MOD)
        && rhs instanceof Expr.IntConst k && k.value() > 0) {
      Map<Var, Long> terms = new LinkedHashMap<>();
      long[] constant = {0};
      if (linear(lhs, 1, terms, constant) && extents.keySet().containsAll(terms.keySet())) {
        long d = k.value();
        long low = Math.floorMod(constant[0], d);
        long high = low;
        Map<Var, Long> quotient = new LinkedHashMap<>();
        Map<Var, Long> remainder = new LinkedHashMap<>();
        for (Map.Entry<Var, Long> t : terms.entrySet()) {
          long c = t.getValue();
          if (c % d == 0) {
            quotient.put(t.getKey(), c / d);
          } else {
            remainder.put(t.getKey(), c);
            long span = c * (extents.get(t.getKey()) - 1);
            low += Math.min(0, span);
            high += Math.max(0, span);
          }
        }
        if (low >= 0 && high < d) {
          return b.op() == BinaryOp.FLOOR_DIV
              ? build(quotient, Math.floorDiv(constant[0], d))
              : build(remainder, Math.floorMod(constant[0], d));
        }
      }
    }
    return new Expr.Binary(b.op(), lhs, rhs);
  }

  private static Expr build(Map<Var, Long> terms, long constant) {
    Expr sum = null;
    for (Map.Entry<Var, Long> t : terms.entrySet()) {
      Expr term = t.getValue() == 1 ? t.getKey() : Exprs.mul(t.getKey(), Exprs.index(t.getValue()));
      sum = sum == null ? term : Exprs.add(sum, term);
    }
    return sum == null ? Exprs.index(constant) : Exprs.add(sum, Exprs.index(constant));
  }

  private static boolean linear(Expr e, long scale, Map<Var, Long> terms, long[] constant) {
    switch (e) {
      case Expr.IntConst c -> {
        constant[0] += scale * c.value();
        return true;
      }
      case Var v -> {
        terms.merge(v, scale, Long::sum);
        return true;
      }
      case Expr.Binary b when b.op() == BinaryOp.ADD -> {
        return linear(b.lhs(), scale, terms, constant) && linear(b.rhs(), scale, terms, constant);
      }
      case Expr.Binary b when b.op() == BinaryOp.SUB -> {
        return linear(b.lhs(), scale, terms, constant) && linear(b.rhs(), -scale, terms, constant);
      }
      case Expr.Binary b when b.op() == BinaryOp.MUL && b.rhs() instanceof Expr.IntConst c -> {
        return linear(b.lhs(), scale * c.value(), terms, constant);
      }
      case Expr.Binary b when b.op() == BinaryOp.MUL && b.lhs() instanceof Expr.IntConst c -> {
        return linear(b.rhs(), scale * c.value(), terms, constant);
      }
      default -> {
        return false;
      }
    }
  }
}
