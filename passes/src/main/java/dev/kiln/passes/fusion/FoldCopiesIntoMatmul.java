package dev.kiln.passes.fusion;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.MatrixOperand;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.pipeline.Ir;
import dev.kiln.passes.pipeline.IrLevel;
import dev.kiln.passes.pipeline.Pass;
import dev.kiln.passes.pipeline.PassContext;
import dev.kiln.passes.pipeline.PassInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code fold-copies-into-matmul}: a kernel that only moves elements (Transpose, a Reshape of a
 * transposed view) between a matmul intrinsic and the buffer it multiplies is folded into the
 * matmul's operand offsets and strides, and dropped with its buffer. Both sides:
 *
 * <ul>
 *   <li>a copy {@code t[v] = s[g(v)]} (optionally times or divided by a scalar) read only as
 *       matmuls' A or B: the matmul reads {@code s} in place ({@code (x / c) * b} becomes
 *       {@code (x * b) / c} in the epilogue); attention's {@code Q}, {@code K^T} and {@code V}
 *       slices of the fused QKV projection;
 *   <li>a copy {@code d[v] = t[g(v)]} of a matmul's output {@code t}, its only reader: the
 *       matmul writes {@code d} directly, when rows stay contiguous (the GEMM needs unit column
 *       stride); attention's heads concatenated back into rows.
 * </ul>
 *
 * The element map {@code g} is found by evaluating the copy's index expressions over its whole
 * (bounded) index space and must be affine in each index dim, and the matmul's operand must step
 * through whole dims of {@code t} without carries: then the fold is exact, no values change.
 */
public final class FoldCopiesIntoMatmul implements Pass {
  public static final String NAME = "fold-copies-into-matmul";

  public static final PassInfo INFO = new PassInfo(NAME,
      "read or write matmul operands through transposing copies in place, dropping the copies (loop IR)",
      IrLevel.LOOPS, IrLevel.LOOPS, ImmutableList.of(), options -> new FoldCopiesIntoMatmul());

  /** Copies larger than this are not evaluated element by element (compile time). */
  static final int MAX_ELEMENTS = 1 << 22;

  @Override
  public Ir run(Ir input, PassContext context) {
    LoopProgram program = input.program();
    List<Kernel> kernels = new ArrayList<>(program.kernels());
    List<Buffer> scratch = new ArrayList<>(program.scratch());
    boolean changed = false;
    for (int i = 0; i < kernels.size(); i++) {
      Kernel copy = kernels.get(i);
      Optional<Copy> c = Copy.of(copy);
      if (c.isEmpty()) {
        continue;
      }
      Optional<String> why = foldInto(c.get(), i, kernels, scratch);
      if (why.isEmpty()) {
        changed = true;
        i = -1; // kernel indices moved; a fold may enable another
      } else if (context.explain()) {
        context.remark(NAME, copy.source(), "not folded: " + why.get());
      }
    }
    if (!changed) {
      return input;
    }
    return Ir.of(new LoopProgram(program.name(), program.inputs(), program.outputs(),
        program.constants(), ImmutableList.copyOf(scratch), ImmutableList.copyOf(kernels)));
  }

  /** Folds the copy at {@code index}; empty when done, else why not (lists unchanged). */
  private static Optional<String> foldInto(Copy c, int index, List<Kernel> kernels, List<Buffer> scratch) {
    // Producer side: t = copy(s), t read by one matmul kernel as A or B.
    if (c.target().role() == BufferRole.SCRATCH) {
      // Every reader must take it (each then reads s in place), or none changes.
      List<Integer> readers = users(kernels, c.target(), index);
      List<Kernel> folded = new ArrayList<>();
      for (int r : readers) {
        if (r > index) {
          foldProducer(c, kernels.get(r)).ifPresent(folded::add);
        }
      }
      if (!readers.isEmpty() && folded.size() == readers.size()) {
        for (int x = 0; x < readers.size(); x++) {
          kernels.set(readers.get(x), folded.get(x));
        }
        kernels.remove(index);
        scratch.remove(c.target());
        return Optional.empty();
      }
    }
    // Consumer side: d = copy(t), t a scratch matmul output read by nothing else.
    if (c.source().role() == BufferRole.SCRATCH && c.scale().isEmpty()) {
      List<Integer> users = users(kernels, c.source(), index);
      // d's readers all come after the copy: written earlier, by the matmul, it is ready for them.
      if (users.size() == 1 && users.get(0) < index
          && users(kernels, c.target(), index).stream().allMatch(j -> j > index)) {
        int w = users.get(0);
        Optional<Kernel> folded = foldConsumer(c, kernels.get(w));
        if (folded.isPresent()) {
          kernels.set(w, folded.get());
          kernels.remove(index);
          scratch.remove(c.source());
          return Optional.empty();
        }
      }
    }
    return Optional.of("neither is its result read only as matmul operands nor its source only a"
        + " matmul's output, with an element map that strides can express");
  }

  private static List<Integer> users(List<Kernel> kernels, Buffer b, int except) {
    List<Integer> users = new ArrayList<>();
    for (int j = 0; j < kernels.size(); j++) {
      if (j != except && kernels.get(j).buffers().contains(b)) {
        users.add(j);
      }
    }
    return users;
  }

  // ---- producer side ----

  private static Optional<Kernel> foldProducer(Copy c, Kernel reader) {
    Buffer t = c.target();
    if (Uses.outsideMatmulOperands(reader.body(), t, false)) {
      return Optional.empty();
    }
    Optional<AffineMap> map = AffineMap.of(t, c.sourceFlatIndex());
    if (map.isEmpty()) {
      return Optional.empty();
    }
    Set<String> localNames = Uses.localNames(reader.body());
    Set<Buffer> added = new LinkedHashSet<>();
    boolean[] ok = {true};
    Stmt body = Uses.mapMatmuls(reader.body(), (mm, loops) -> {
      MatrixOperand a = mm.a();
      MatrixOperand b = mm.b();
      int scaled = 0;
      if (a.buffer().equals(t)) {
        Optional<MatrixOperand> x = map.get().remap(a, c.source(), mm.m(), mm.k(), loops, false);
        ok[0] &= x.isPresent();
        a = x.orElse(a);
        scaled++;
      }
      if (b.buffer().equals(t)) {
        Optional<MatrixOperand> x = map.get().remap(b, c.source(), mm.k(), mm.n(), loops, false);
        ok[0] &= x.isPresent();
        b = x.orElse(b);
        scaled++;
      }
      List<Stmt.Addend> addends = new ArrayList<>(mm.addends());
      Expr acc = mm.acc();
      for (int s = 0; s < scaled && c.scale().isPresent(); s++) {
        Scale k = c.scale().get();
        Expr factor = k.value();
        if (k.value() instanceof Expr.Load l) {
          Local local = new Local(fresh("scale", localNames), DType.F32);
          addends.add(new Stmt.Addend(local, new MatrixOperand(l.buffer(),
              Exprs.index(flat(l.buffer(), l.indices())), 0, 0)));
          added.add(l.buffer());
          factor = local;
        }
        acc = new Expr.Binary(k.op(), acc, factor);
      }
      Expr epilogue = Uses.substitute(mm.epilogue(), mm.acc(), acc);
      return new Stmt.Matmul(a, b, mm.c(), mm.m(), mm.n(), mm.k(), mm.acc(),
          ImmutableList.copyOf(addends), epilogue);
    });
    if (!ok[0]) {
      return Optional.empty();
    }
    List<Buffer> buffers = new ArrayList<>();
    for (Buffer b : reader.buffers()) {
      buffers.add(b.equals(t) ? c.source() : b);
    }
    buffers.addAll(added);
    return Optional.of(new Kernel(reader.name(), ImmutableList.copyOf(new LinkedHashSet<>(buffers)),
        body, reader.source() + " + " + c.kernel().source()));
  }

  // ---- consumer side ----

  private static Optional<Kernel> foldConsumer(Copy c, Kernel writer) {
    Buffer t = c.source();
    Buffer d = c.target();
    if (t.size() != d.size() || Uses.outsideMatmulOperands(writer.body(), t, true)) {
      return Optional.empty();
    }
    // Invert the copy: for every element of t, where it lands in d.
    long[] dIndexOfT = new long[t.size()];
    java.util.Arrays.fill(dIndexOfT, -1);
    boolean[] bijective = {true};
    long[] tFlat = c.sourceFlatIndex();
    for (int v = 0; v < tFlat.length; v++) {
      if (tFlat[v] < 0 || tFlat[v] >= t.size() || dIndexOfT[(int) tFlat[v]] >= 0) {
        bijective[0] = false;
        break;
      }
      dIndexOfT[(int) tFlat[v]] = v;
    }
    if (!bijective[0]) {
      return Optional.empty();
    }
    Optional<AffineMap> map = AffineMap.of(t, dIndexOfT);
    if (map.isEmpty()) {
      return Optional.empty();
    }
    boolean[] ok = {true};
    Stmt body = Uses.mapMatmuls(writer.body(), (mm, loops) -> {
      if (!mm.c().buffer().equals(t)) {
        return mm;
      }
      Optional<MatrixOperand> x = map.get().remap(mm.c(), d, mm.m(), mm.n(), loops, true);
      ok[0] &= x.isPresent() && x.get().colStride() == 1;
      return x.isEmpty() ? mm : new Stmt.Matmul(mm.a(), mm.b(), x.get(), mm.m(), mm.n(), mm.k(),
          mm.acc(), mm.addends(), mm.epilogue());
    });
    if (!ok[0]) {
      return Optional.empty();
    }
    List<Buffer> buffers = new ArrayList<>();
    for (Buffer b : writer.buffers()) {
      buffers.add(b.equals(t) ? d : b);
    }
    return Optional.of(new Kernel(writer.name(), ImmutableList.copyOf(new LinkedHashSet<>(buffers)),
        body, writer.source() + " + " + c.kernel().source()));
  }

  // ---- helpers ----

  static long flat(Buffer b, List<Expr> constantIndices) {
    long[] strides = b.strides();
    long f = 0;
    for (int d = 0; d < constantIndices.size(); d++) {
      f += ((Expr.IntConst) constantIndices.get(d)).value() * strides[d];
    }
    return f;
  }

  private static String fresh(String base, Set<String> taken) {
    String name = base;
    for (int i = 1; taken.contains(name); i++) {
      name = base + i;
    }
    taken.add(name);
    return name;
  }

  /** A scalar factor of a scaled copy: {@code op} is MUL or DIV, {@code value} a constant or a one-element load. */
  record Scale(BinaryOp op, Expr value) {}

  /**
   * A kernel {@code for v0, v1, .. { target[v0, v1, ..] = source[g(v)] (op scalar) }}: a perfect
   * nest over the whole target, in its dim order.
   */
  record Copy(Kernel kernel, Buffer target, Buffer source, ImmutableList<Var> vars,
      ImmutableList<Expr> sourceIndices, Optional<Scale> scale) {

    static Optional<Copy> of(Kernel k) {
      List<Stmt.For> loops = new ArrayList<>();
      Stmt s = k.body();
      while (s instanceof Stmt.For f) {
        loops.add(f);
        s = f.body();
      }
      if (!(s instanceof Stmt.Store st) || loops.size() != st.buffer().rank()
          || st.buffer().size() > MAX_ELEMENTS || st.buffer().size() == 0) {
        return Optional.empty();
      }
      for (int d = 0; d < loops.size(); d++) {
        if (!st.indices().get(d).equals(loops.get(d).var()) || loops.get(d).extent() != st.buffer().dim(d)) {
          return Optional.empty();
        }
      }
      Expr value = st.value();
      Optional<Scale> scale = Optional.empty();
      if (value instanceof Expr.Binary b && (b.op() == BinaryOp.MUL || b.op() == BinaryOp.DIV)
          && b.lhs() instanceof Expr.Load && scalar(b.rhs())) {
        scale = Optional.of(new Scale(b.op(), b.rhs()));
        value = b.lhs();
      }
      if (!(value instanceof Expr.Load l) || l.buffer().dtype() != st.buffer().dtype()
          || l.buffer().equals(st.buffer())) {
        return Optional.empty();
      }
      if (scale.isPresent() && st.buffer().dtype() != DType.F32) {
        return Optional.empty();
      }
      return Optional.of(new Copy(k, st.buffer(), l.buffer(),
          loops.stream().map(Stmt.For::var).collect(ImmutableList.toImmutableList()), l.indices(), scale));
    }

    private static boolean scalar(Expr e) {
      return e instanceof Expr.FloatConst || (e instanceof Expr.Load l && l.buffer().size() == 1
          && l.indices().stream().allMatch(i -> i instanceof Expr.IntConst));
    }

    /** For each element of the target (row-major), the flat index it copies from; -1 if not evaluable. */
    long[] sourceFlatIndex() {
      int n = target.size();
      long[] out = new long[n];
      long[] dims = target.shapeArray();
      long[] sStrides = source.strides();
      long[] v = new long[dims.length];
      Map<Var, Long> env = new HashMap<>();
      for (int e = 0; e < n; e++) {
        for (int d = 0; d < dims.length; d++) {
          env.put(vars.get(d), v[d]);
        }
        long f = 0;
        for (int d = 0; d < sourceIndices.size(); d++) {
          Optional<Long> x = IndexEval.eval(sourceIndices.get(d), env);
          if (x.isEmpty() || x.get() < 0 || x.get() >= source.dim(d)) {
            java.util.Arrays.fill(out, -1);
            return out;
          }
          f += x.get() * sStrides[d];
        }
        out[e] = f;
        for (int d = dims.length - 1; d >= 0; d--) {
          if (++v[d] < dims[d]) {
            break;
          }
          v[d] = 0;
        }
      }
      return out;
    }
  }
}
