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
    }
  }
}
