package dev.kiln.codegen.emit;

import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;
import java.util.List;

/** Small structural queries over statements. */
final class StmtWalk {
  private StmtWalk() {}

  /** Locals assigned (not declared) anywhere in {@code s}, in order of appearance. */
  static void assignedLocals(Stmt s, List<Local> out) {
    switch (s) {
      case Stmt.For f -> assignedLocals(f.body(), out);
      case Stmt.Block b -> b.stmts().forEach(x -> assignedLocals(x, out));
      case Stmt.If i -> {
        assignedLocals(i.then(), out);
        i.otherwise().ifPresent(x -> assignedLocals(x, out));
      }
      case Stmt.Assign a -> {
        if (!out.contains(a.local())) {
          out.add(a.local());
        }
      }
      case Stmt.Store st -> { }
      case Stmt.Let l -> { }
      case Stmt.Matmul mm -> { }
      case Stmt.BlockedConv cv -> { }
      case Stmt.Attention at -> { }
    }
  }

  /** Buffers that a matmul intrinsic in {@code s} reads or writes as a matrix (they need arrays). */
  static void matmulBuffers(Stmt s, java.util.Set<dev.kiln.ir.loop.Buffer> out) {
    switch (s) {
      case Stmt.For f -> matmulBuffers(f.body(), out);
      case Stmt.Block b -> b.stmts().forEach(x -> matmulBuffers(x, out));
      case Stmt.If i -> {
        matmulBuffers(i.then(), out);
        i.otherwise().ifPresent(x -> matmulBuffers(x, out));
      }
      case Stmt.Matmul mm -> {
        mm.reads().forEach(x -> out.add(x.buffer()));
        out.add(mm.c().buffer());
      }
      case Stmt.BlockedConv cv -> {
        out.addAll(cv.reads());
        out.add(cv.y());
      }
      case Stmt.Attention at -> {
        matmulBuffers(at.scores(), out);
        matmulBuffers(at.output(), out);
      }
      default -> { }
    }
  }
}
