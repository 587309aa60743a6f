package dev.kiln.ir.loop;

import dev.kiln.ir.tensor.Tensor;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The text form of loop IR, printed before and after every pass. Deterministic, so it is also
 * the content of kernel cache keys and of golden tests.
 */
public final class LoopPrinter {
  private final StringBuilder out = new StringBuilder();

  private LoopPrinter() {}

  public static String print(LoopProgram program) {
    LoopPrinter p = new LoopPrinter();
    p.program(program);
    return p.out.toString();
  }

  public static String print(Kernel kernel) {
    LoopPrinter p = new LoopPrinter();
    p.kernel(kernel, 0);
    return p.out.toString();
  }

  public static String print(Stmt stmt) {
    LoopPrinter p = new LoopPrinter();
    p.stmt(stmt, 0);
    return p.out.toString();
  }

  private void program(LoopProgram p) {
    out.append("program ").append(Names.quoteIfNeeded(p.name())).append('(')
        .append(p.inputs().stream().map(Buffer::declaration).collect(Collectors.joining(", ")))
        .append(") -> (")
        .append(p.outputs().stream().map(Buffer::declaration).collect(Collectors.joining(", ")))
        .append(") {\n");
    for (Map.Entry<Buffer, Tensor> c : p.constants().entrySet()) {
      indent(1).append(c.getKey().declaration()).append('\n');
    }
    for (Buffer b : p.scratch()) {
      indent(1).append(b.declaration()).append('\n');
    }
    for (Kernel k : p.kernels()) {
      kernel(k, 1);
    }
    out.append("}\n");
  }

  private void kernel(Kernel k, int depth) {
    indent(depth).append("kernel ").append(Names.quoteIfNeeded(k.name()));
    if (!k.source().isEmpty()) {
      out.append(" @").append(Names.quoteString(k.source()));
    }
    out.append('(')
        .append(k.buffers().stream().map(b -> b.role().text() + " " + b).collect(Collectors.joining(", ")))
        .append(") {\n");
    stmt(k.body(), depth + 1);
    indent(depth).append("}\n");
  }

  private void stmt(Stmt s, int depth) {
    switch (s) {
      case Stmt.For f -> {
        indent(depth).append(f.kind().keyword()).append(' ').append(f.var().name())
            .append(" in 0..").append(f.extent()).append(" {\n");
        stmt(f.body(), depth + 1);
        indent(depth).append("}\n");
      }
      case Stmt.Store st -> indent(depth).append(st.buffer()).append(st.indices())
          .append(" = ").append(st.value()).append('\n');
      case Stmt.Block b -> b.stmts().forEach(x -> stmt(x, depth));
      case Stmt.If i -> {
        indent(depth).append("if ").append(i.condition()).append(" {\n");
        stmt(i.then(), depth + 1);
        if (i.otherwise().isPresent()) {
          indent(depth).append("} else {\n");
          stmt(i.otherwise().get(), depth + 1);
        }
        indent(depth).append("}\n");
      }
      case Stmt.Let l -> indent(depth).append("let ").append(l.local()).append(": ")
          .append(l.local().type().text()).append(" = ").append(l.init()).append('\n');
      case Stmt.Assign a -> indent(depth).append(a.local()).append(" = ").append(a.value()).append('\n');
      case Stmt.Attention at -> {
        indent(depth).append("attention {\n");
        stmt(at.scores(), depth + 1);
        indent(depth + 1).append("softmax rows ").append(at.output().a()).append(" = ")
            .append(at.scores().c()).append('\n');
        stmt(at.output(), depth + 1);
        indent(depth).append("}\n");
      }
      case Stmt.Matmul mm -> {
        indent(depth).append("matmul ").append(mm.m()).append('x').append(mm.n()).append('x')
            .append(mm.k()).append(' ').append(mm.c()).append(" = ").append(mm.a()).append(" * ")
            .append(mm.b()).append(" acc ").append(mm.acc()).append(": ").append(mm.acc().type().text());
        if (!mm.plainEpilogue()) {
          out.append(" epilogue ").append(mm.epilogue());
          String sep = " with ";
          for (Stmt.Addend x : mm.addends()) {
            out.append(sep).append(x.local()).append(" = ").append(x.operand());
            sep = ", ";
          }
        }
        out.append('\n');
      }
      case Stmt.BlockedConv cv -> {
        indent(depth).append("blocked_conv ").append(cv.geometry()).append(' ').append(cv.y())
            .append(" = ").append(cv.x()).append(" * ").append(cv.w()).append(" acc ").append(cv.acc())
            .append(": ").append(cv.acc().type().text());
        if (!cv.plainEpilogue()) {
          out.append(" epilogue ").append(cv.epilogue());
          String sep = " with ";
          for (Stmt.ConvAddend x : cv.addends()) {
            out.append(sep).append(x.local()).append(" = ").append(x.buffer())
                .append(x.perChannel() ? "[channel]" : "[element]");
            sep = ", ";
          }
        }
        out.append('\n');
      }
    }
  }

  private StringBuilder indent(int depth) {
    return out.append("  ".repeat(depth));
  }
}
