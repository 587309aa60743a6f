package dev.kiln.codegen.emit;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.MatrixOperand;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a statement reads from outside itself: the buffers it loads, stores or hands to an
 * intrinsic, and the loop variables and locals it uses without binding them. Each list is in order
 * of first use in a fixed walk, so two statements that differ only in which buffers and
 * enclosing variables they name give the same lists position by position (what
 * {@link ParallelBodies} relies on to share one method between them).
 */
record FreeNames(List<Buffer> buffers, List<Var> vars, List<Local> locals) {
  FreeNames {
    buffers = List.copyOf(buffers);
    vars = List.copyOf(vars);
    locals = List.copyOf(locals);
  }

  /** The free names of {@code s}, with {@code bound} (e.g. the loop variable around it) bound. */
  static FreeNames of(Stmt s, Set<Var> bound) {
    Walk w = new Walk();
    w.boundVars.addAll(bound);
    w.stmt(s);
    return new FreeNames(new ArrayList<>(w.buffers), new ArrayList<>(w.vars), new ArrayList<>(w.locals));
  }

  private static final class Walk {
    final Set<Buffer> buffers = new LinkedHashSet<>();
    final Set<Var> vars = new LinkedHashSet<>();
    final Set<Local> locals = new LinkedHashSet<>();
    final Set<Var> boundVars = new HashSet<>();
    final Set<Local> boundLocals = new HashSet<>();

    void stmt(Stmt s) {
      switch (s) {
        case Stmt.For f -> {
          boundVars.add(f.var());
          stmt(f.body());
        }
        case Stmt.Store st -> {
          buffers.add(st.buffer());
          st.indices().forEach(this::expr);
          expr(st.value());
        }
        case Stmt.Block b -> b.stmts().forEach(this::stmt);
        case Stmt.If i -> {
          expr(i.condition());
          stmt(i.then());
          i.otherwise().ifPresent(this::stmt);
        }
        case Stmt.Let l -> {
          expr(l.init());
          boundLocals.add(l.local());
        }
        case Stmt.Assign a -> {
          local(a.local());
          expr(a.value());
        }
        case Stmt.Matmul mm -> {
          operand(mm.a());
          operand(mm.b());
          operand(mm.c());
          boundLocals.add(mm.acc());
          mm.addends().forEach(x -> {
            operand(x.operand());
            boundLocals.add(x.local());
          });
          expr(mm.epilogue());
        }
        case Stmt.Attention at -> {
          stmt(at.scores());
          stmt(at.output());
        }
        case Stmt.BlockedConv cv -> {
          buffers.add(cv.x());
          buffers.add(cv.w());
          buffers.add(cv.y());
          boundLocals.add(cv.acc());
          cv.addends().forEach(x -> {
            buffers.add(x.buffer());
            boundLocals.add(x.local());
          });
          expr(cv.epilogue());
        }
      }
    }

    void operand(MatrixOperand x) {
      buffers.add(x.buffer());
      expr(x.offset());
    }

    void local(Local l) {
      if (!boundLocals.contains(l)) {
        locals.add(l);
      }
    }

    void expr(Expr e) {
      switch (e) {
        case Expr.IntConst c -> { }
        case Expr.FloatConst c -> { }
        case Var v -> {
          if (!boundVars.contains(v)) {
            vars.add(v);
          }
        }
        case Local l -> local(l);
        case Expr.Load l -> {
          buffers.add(l.buffer());
          l.indices().forEach(this::expr);
        }
        case Expr.Binary b -> {
          expr(b.lhs());
          expr(b.rhs());
        }
        case Expr.Unary u -> expr(u.operand());
        case Expr.Call c -> c.args().forEach(this::expr);
        case Expr.Cast c -> expr(c.operand());
        case Expr.Select s -> {
          expr(s.condition());
          expr(s.ifTrue());
          expr(s.ifFalse());
        }
      }
    }
  }
}
