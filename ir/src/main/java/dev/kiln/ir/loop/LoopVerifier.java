package dev.kiln.ir.loop;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks loop IR: every buffer a kernel touches is one of its buffers and declared by the
 * program; only outputs and scratch are written; loop variables are bound by an enclosing loop
 * and never rebound; locals are declared before use; indices that the interval analysis can bound
 * stay inside their dimension unless a condition guards them; every output is written. A failure
 * is a bug in a lowering or a pass, so errors are internal and name the kernel.
 */
public final class LoopVerifier {
  private final List<String> errors = new ArrayList<>();
  private String kernelName = "";

  private LoopVerifier() {}

  public static List<String> verify(LoopProgram program) {
    LoopVerifier v = new LoopVerifier();
    v.program(program);
    return v.errors;
  }

  public static List<String> verify(Kernel kernel) {
    LoopVerifier v = new LoopVerifier();
    v.kernel(kernel);
    return v.errors;
  }

  public static void verifyOrThrow(LoopProgram program) {
    List<String> errors = verify(program);
    if (!errors.isEmpty()) {
      throw new IllegalStateException("invalid loop IR:\n  " + String.join("\n  ", errors)
          + "\n" + program);
    }
  }

  public static void verifyOrThrow(Kernel kernel) {
    List<String> errors = verify(kernel);
    if (!errors.isEmpty()) {
      throw new IllegalStateException("invalid loop IR:\n  " + String.join("\n  ", errors)
          + "\n" + kernel);
    }
  }

  private void program(LoopProgram p) {
    Map<String, Buffer> declared = new LinkedHashMap<>();
    List<Buffer> all = new ArrayList<>(p.inputs());
    all.addAll(p.outputs());
    all.addAll(p.constants().keySet());
    all.addAll(p.scratch());
    for (Buffer b : all) {
      Buffer before = declared.putIfAbsent(b.name(), b);
      if (before != null) {
        errors.add("buffer " + b + " is declared twice");
      }
    }
    Set<String> kernelNames = new HashSet<>();
    Set<Buffer> written = new HashSet<>();
    for (Kernel k : p.kernels()) {
      if (!kernelNames.add(k.name())) {
        errors.add("kernel " + k.name() + " is defined twice");
      }
      for (Buffer b : k.buffers()) {
        if (!b.equals(declared.get(b.name()))) {
          errors.add("kernel " + k.name() + ": buffer " + b.declaration() + " is not declared by the program");
        }
      }
      kernel(k);
      collectStores(k.body(), written);
    }
    for (Buffer out : p.outputs()) {
      if (!written.contains(out)) {
        errors.add("output " + out + " is never written");
      }
    }
  }

  private void kernel(Kernel k) {
    kernelName = k.name();
    Set<Buffer> buffers = new HashSet<>(k.buffers());
    new Scope(buffers, new LinkedHashMap<>(), new HashSet<>(), new HashSet<>(), false).stmt(k.body());
  }

  static void collectStores(Stmt s, Set<Buffer> written) {
    switch (s) {
      case Stmt.For f -> collectStores(f.body(), written);
      case Stmt.Store st -> written.add(st.buffer());
      case Stmt.Block b -> b.stmts().forEach(x -> collectStores(x, written));
      case Stmt.If i -> {
        collectStores(i.then(), written);
        i.otherwise().ifPresent(o -> collectStores(o, written));
      }
      case Stmt.Let l -> { }
      case Stmt.Assign a -> { }
      case Stmt.Matmul mm -> written.add(mm.c().buffer());
      case Stmt.BlockedConv cv -> written.add(cv.y());
      case Stmt.Attention at -> at.writes().forEach(x -> written.add(x.buffer()));
    }
  }

  private void error(String message) {
    errors.add("kernel " + kernelName + ": " + message);
  }

  /** What is visible at a point of a kernel body. */
  private final class Scope {
    final Set<Buffer> buffers;
    final Map<Var, Long> loops;
    final Set<String> usedVarNames;
    final Set<Local> locals;
    final boolean guarded;

    Scope(Set<Buffer> buffers, Map<Var, Long> loops, Set<String> usedVarNames, Set<Local> locals, boolean guarded) {
      this.buffers = buffers;
      this.loops = loops;
      this.usedVarNames = usedVarNames;
      this.locals = locals;
      this.guarded = guarded;
    }

    Scope nested(boolean guard) {
      return new Scope(buffers, new LinkedHashMap<>(loops), usedVarNames, new HashSet<>(locals), guarded || guard);
    }

    void stmt(Stmt s) {
      switch (s) {
        case Stmt.For f -> {
          if (!usedVarNames.add(f.var().name())) {
            error("loop variable " + f.var() + " is bound twice");
          }
          Scope inner = nested(false);
          inner.loops.put(f.var(), f.extent());
          inner.stmt(f.body());
        }
        case Stmt.Store st -> {
          if (st.buffer().role() == BufferRole.INPUT || st.buffer().role() == BufferRole.CONSTANT) {
            error("stores into " + st.buffer().role().text() + " buffer " + st.buffer());
          }
          access(st.buffer(), st.indices());
          expr(st.value(), guarded);
        }
        case Stmt.Block b -> {
          // Locals declared in a block stay visible to its later statements.
          for (Stmt x : b.stmts()) {
            stmt(x);
          }
        }
        case Stmt.If i -> {
          expr(i.condition(), guarded);
          nested(true).stmt(i.then());
          i.otherwise().ifPresent(o -> nested(true).stmt(o));
        }
        case Stmt.Let l -> {
          expr(l.init(), guarded);
          if (!locals.add(l.local())) {
            error("local " + l.local() + " is declared twice");
          }
        }
        case Stmt.Assign a -> {
          if (!locals.contains(a.local())) {
            error("assigns " + a.local() + " before declaring it");
          }
          expr(a.value(), guarded);
        }
        case Stmt.Matmul mm -> matmul(mm);
        case Stmt.BlockedConv cv -> blockedConv(cv);
        case Stmt.Attention at -> attention(at);
      }
    }

    /**
     * Both matmuls as matmuls, and the intermediates (scores, probabilities) scratch buffers that
     * no operand of the statement reads from outside.
     */
    void attention(Stmt.Attention at) {
      matmul(at.scores());
      matmul(at.output());
      for (MatrixOperand x : List.of(at.scores().c(), at.output().a())) {
        if (x.buffer().role() != BufferRole.SCRATCH) {
          error("attention intermediate " + x + " is not a scratch buffer");
        }
        for (MatrixOperand r : at.reads()) {
          if (r.buffer().equals(x.buffer())) {
            error("attention reads its intermediate " + x.buffer() + " as " + r);
          }
        }
      }
    }

    /**
     * Operands inside their buffers, the output not an input or constant, f32 operands, and an
     * epilogue over the accumulator, the addends' locals and constants only.
     */
    void matmul(Stmt.Matmul mm) {
      Buffer c = mm.c().buffer();
      if (c.role() == BufferRole.INPUT || c.role() == BufferRole.CONSTANT) {
        error("matmul stores into " + c.role().text() + " buffer " + c);
      }
      operand("a", mm.a(), mm.m(), mm.k());
      operand("b", mm.b(), mm.k(), mm.n());
      operand("c", mm.c(), mm.m(), mm.n());
      if ((mm.c().rowStride() == 0 || mm.c().colStride() == 0)
          && mm.m() > 1 && mm.n() > 1) {
        error("matmul output " + mm.c() + " broadcasts (a zero stride): elements would be written twice");
      }
      for (MatrixOperand x : List.of(mm.a(), mm.b(), mm.c())) {
        if (x.buffer().dtype() != dev.kiln.ir.type.DType.F32) {
          error("matmul operand " + x + " is " + x.buffer().dtype() + "; only f32 matmul is supported");
        }
      }
      Set<Local> allowed = new HashSet<>();
      allowed.add(mm.acc());
      for (Stmt.Addend x : mm.addends()) {
        operand("addend " + x.local(), x.operand(), mm.m(), mm.n());
        if (!allowed.add(x.local())) {
          error("matmul local " + x.local() + " is bound twice");
        }
      }
      epilogue("matmul", mm.epilogue(), allowed);
    }

    /**
     * Blocked shapes that agree with the geometry (weights in ONNX's order, or packed by code
     * generation as {@code [ceil(M/b), ceil(C/b), KH, KW, b, b]}), f32 throughout, the output
     * neither read nor an input, addends of the bias's or the output's shape, and an epilogue
     * over the accumulator, the addends' locals and constants only.
     */
    void blockedConv(Stmt.BlockedConv cv) {
      Buffer y = cv.y();
      if (y.role() == BufferRole.INPUT || y.role() == BufferRole.CONSTANT) {
        error("blocked_conv stores into " + y.role().text() + " buffer " + y);
      }
      ConvGeometry g = cv.geometry();
      for (Buffer b : cv.reads()) {
        if (b.equals(y)) {
          error("blocked_conv reads its output " + y);
        }
      }
      List<Buffer> all = new ArrayList<>(cv.reads());
      all.add(y);
      for (Buffer b : all) {
        if (!buffers.contains(b)) {
          error("blocked_conv uses " + b + ", which is not among its buffers");
        }
        if (b.dtype() != dev.kiln.ir.type.DType.F32) {
          error("blocked_conv operand " + b + " is " + b.dtype() + "; only f32 is supported");
        }
      }
      Buffer x = cv.x();
      if ((x.rank() != 5 && x.rank() != 4) || y.rank() != 5) {
        error("blocked_conv input " + x.declaration() + " must be 5-D (blocked) or 4-D (NCHW) and output "
            + y.declaration() + " 5-D");
        return;
      }
      long b = y.dim(4);
      long bi = cv.inputBlock();
      long cb = (g.channels() + bi - 1) / bi;
      long mb = (g.outChannels() + b - 1) / b;
      if (b <= 0 || (x.rank() == 5 && x.dim(4) != b) || x.dim(0) != y.dim(0) || x.dim(1) != cb
          || y.dim(1) != mb) {
        error("blocked_conv input " + x.declaration() + " and output " + y.declaration()
            + " do not hold " + g.channels() + " -> " + g.outChannels() + " channels in blocks of " + b);
      }
      List<Long> onnx = List.of(g.outChannels(), g.channels(), g.kernelH(), g.kernelW());
      List<Long> packed = List.of(mb, cb, g.kernelH(), g.kernelW(), bi, b);
      if (!cv.w().shape().equals(onnx) && !cv.w().shape().equals(packed)) {
        error("blocked_conv weights " + cv.w().declaration() + " are neither " + onnx + " nor packed " + packed);
      }
      Set<Local> allowed = new HashSet<>();
      allowed.add(cv.acc());
      for (Stmt.ConvAddend a : cv.addends()) {
        if (!allowed.add(a.local())) {
          error("blocked_conv local " + a.local() + " is bound twice");
        }
        List<Long> shape = a.perChannel() ? List.of(g.outChannels()) : y.shape();
        if (!a.buffer().shape().equals(shape)) {
          error("blocked_conv addend " + a.buffer().declaration() + " must have shape " + shape);
        }
      }
      epilogue("blocked_conv", cv.epilogue(), allowed);
    }

    private void operand(String what, MatrixOperand x, long rows, long cols) {
      if (!buffers.contains(x.buffer())) {
        error("matmul " + what + " uses " + x.buffer() + ", which is not among its buffers");
      }
      expr(x.offset(), guarded);
      if (rows == 0 || cols == 0) {
        return;
      }
      Optional<IndexRange> r = IndexRange.of(x.offset(), loops);
      if (r.isEmpty()) {
        return;
      }
      long last = r.get().max() + (rows - 1) * x.rowStride() + (cols - 1) * x.colStride();
      if (r.get().min() < 0 || last >= x.buffer().size()) {
        error("matmul " + what + " " + x + " reaches elements " + r.get().min() + ".." + last
            + " of " + x.buffer() + ", which has " + x.buffer().size());
      }
    }

    private void epilogue(String what, Expr e, Set<Local> allowed) {
      switch (e) {
        case Local l -> {
          if (!allowed.contains(l)) {
            error(what + " epilogue uses " + l + ", which is not its accumulator or an addend");
          }
        }
        case Var v -> error(what + " epilogue uses loop variable " + v);
        case Expr.Load l -> error(what + " epilogue loads " + l + "; read buffers through addends");
        case Expr.Binary b -> {
          epilogue(what, b.lhs(), allowed);
          epilogue(what, b.rhs(), allowed);
        }
        case Expr.Unary u -> epilogue(what, u.operand(), allowed);
        case Expr.Call c -> c.args().forEach(a -> epilogue(what, a, allowed));
        case Expr.Cast c -> epilogue(what, c.operand(), allowed);
        case Expr.Select s -> {
          epilogue(what, s.condition(), allowed);
          epilogue(what, s.ifTrue(), allowed);
          epilogue(what, s.ifFalse(), allowed);
        }
        case Expr.IntConst c -> { }
        case Expr.FloatConst c -> { }
      }
    }

    void access(Buffer b, List<Expr> indices) {
      if (!buffers.contains(b)) {
        error("uses " + b + ", which is not among its buffers");
      }
      for (int d = 0; d < indices.size(); d++) {
        Expr index = indices.get(d);
        expr(index, guarded);
        if (guarded) {
          continue;
        }
        Optional<IndexRange> r = IndexRange.of(index, loops);
        if (r.isPresent() && b.dim(d) > 0 && (r.get().min() < 0 || r.get().max() >= b.dim(d))) {
          error("index " + index + " of " + b + " dim " + d + " ranges over " + r.get()
              + " but the dim is " + b.dim(d));
        }
      }
    }

    void expr(Expr e, boolean guard) {
      switch (e) {
        case Var v -> {
          if (!loops.containsKey(v)) {
            error("uses loop variable " + v + " outside its loop");
          }
        }
        case Local l -> {
          if (!locals.contains(l)) {
            error("uses " + l + " before declaring it");
          }
        }
        case Expr.Load l -> {
          if (guard && !guarded) {
            nested(true).access(l.buffer(), l.indices());
          } else {
            access(l.buffer(), l.indices());
          }
        }
        case Expr.Binary b -> {
          expr(b.lhs(), guard);
          expr(b.rhs(), guard);
        }
        case Expr.Unary u -> expr(u.operand(), guard);
        case Expr.Call c -> c.args().forEach(a -> expr(a, guard));
        case Expr.Cast c -> expr(c.operand(), guard);
        case Expr.Select s -> {
          expr(s.condition(), guard);
          // The branches are evaluated only when the condition selects them.
          expr(s.ifTrue(), true);
          expr(s.ifFalse(), true);
        }
        case Expr.IntConst c -> { }
        case Expr.FloatConst c -> { }
      }
    }
  }
}
