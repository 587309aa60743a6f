package dev.kiln.codegen.gemm;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import dev.kiln.codegen.conv.PackedConvWeights;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.MatrixOperand;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Packs constant weights once, at compile time: those of blocked convolutions as
 * {@link PackedConvWeights} describes, and constant B operands of matmuls into the layout the
 * generated GEMM's microkernel reads: {@code [ceil(n / nr), k, nr]}, panel {@code q} holding
 * columns {@code q * nr ..} row after row, a partial last panel padded with zeros. The GEMM then
 * never packs B at run time, and ahead-of-time artifacts store the weights packed.
 *
 * <p>The rewritten program is for code generation only: its matmuls read the packed buffer
 * (shape {@code [panels, k, nr]}, strides kept in bounds) with a meaning only the generator knows,
 * so it must not be interpreted. A constant also read elsewhere stays as well; one read only by
 * packed matmuls is dropped.
 */
public final class PackedWeights {
  private PackedWeights() {}

  /** The rewritten program and the packed buffers (the B operands the emitter reads as panels). */
  public record Result(LoopProgram program, ImmutableSet<Buffer> packed) {}

  public static Result pack(LoopProgram program, GemmParams params) {
    if (!params.enabled()) {
      return new Result(program, ImmutableSet.of());
    }
    Set<String> names = new HashSet<>();
    program.inputs().forEach(b -> names.add(b.name()));
    program.outputs().forEach(b -> names.add(b.name()));
    program.constants().keySet().forEach(b -> names.add(b.name()));
    program.scratch().forEach(b -> names.add(b.name()));
    Map<Buffer, Tensor> constants = new LinkedHashMap<>(program.constants());
    Set<Buffer> packed = new LinkedHashSet<>();
    List<Kernel> kernels = new ArrayList<>();
    // Packed panels by what they pack (buffer, offset, strides, extents): matmuls reading the
    // same B (Winograd's chunks) share one packed copy.
    Map<List<Object>, Buffer> shared = new java.util.HashMap<>();
    for (Kernel k : program.kernels()) {
      Set<Buffer> added = new LinkedHashSet<>();
      Stmt body = rewrite(k.body(), params, program.constants(), constants, names, packed, added, shared);
      if (added.isEmpty()) {
        kernels.add(k);
        continue;
      }
      Set<Buffer> used = new HashSet<>();
      uses(body, used);
      List<Buffer> buffers = new ArrayList<>();
      for (Buffer b : k.buffers()) {
        if (used.contains(b)) {
          buffers.add(b);
        }
      }
      buffers.addAll(added);
      kernels.add(new Kernel(k.name(), ImmutableList.copyOf(buffers), body, k.source()));
    }
    if (packed.isEmpty()) {
      return new Result(program, ImmutableSet.of());
    }
    Set<Buffer> stillRead = new HashSet<>();
    kernels.forEach(k -> uses(k.body(), stillRead));
    constants.keySet().removeIf(b -> !stillRead.contains(b));
    LoopProgram out = new LoopProgram(program.name(), program.inputs(), program.outputs(),
        ImmutableMap.copyOf(constants), program.scratch(), ImmutableList.copyOf(kernels));
    return new Result(out, ImmutableSet.copyOf(packed));
  }

  private static Stmt rewrite(Stmt s, GemmParams params, Map<Buffer, Tensor> original,
      Map<Buffer, Tensor> constants, Set<String> names, Set<Buffer> packed, Set<Buffer> added, Map<List<Object>, Buffer> shared) {
    return switch (s) {
      case Stmt.For f -> f.withBody(rewrite(f.body(), params, original, constants, names, packed, added, shared));
      case Stmt.Block b -> {
        List<Stmt> out = new ArrayList<>();
        b.stmts().forEach(x -> out.add(rewrite(x, params, original, constants, names, packed, added, shared)));
        yield new Stmt.Block(ImmutableList.copyOf(out));
      }
      case Stmt.If i -> new Stmt.If(i.condition(),
          rewrite(i.then(), params, original, constants, names, packed, added, shared),
          i.otherwise().map(x -> rewrite(x, params, original, constants, names, packed, added, shared)));
      case Stmt.Matmul mm when packable(mm, original) -> {
        Buffer panels = shared.computeIfAbsent(
            List.of(mm.b().buffer(), mm.b().offset(), mm.b().rowStride(), mm.b().colStride(), mm.n(), mm.k()),
            key -> panels(mm, params, original.get(mm.b().buffer()), constants, names));
        packed.add(panels);
        added.add(panels);
        int nr = params.nr();
        yield new Stmt.Matmul(mm.a(), new MatrixOperand(panels, Exprs.index(0), nr, 1), mm.c(), mm.m(),
            mm.n(), mm.k(), mm.acc(), mm.addends(), mm.epilogue());
      }
      case Stmt.BlockedConv cv when PackedConvWeights.packable(cv, original, params.lanes()) -> {
        Buffer w = PackedConvWeights.pack(cv, original.get(cv.w()), constants, names);
        packed.add(w);
        added.add(w);
        yield cv.withWeights(w);
      }
      default -> s;
    };
  }

  /** What the generator would run as a GEMM, with B a constant at a fixed offset. */
  static boolean packable(Stmt.Matmul mm, Map<Buffer, Tensor> constants) {
    Buffer b = mm.b().buffer();
    if (b.role() != BufferRole.CONSTANT || !constants.containsKey(b) || b.dtype() != DType.F32
        || !(mm.b().offset() instanceof Expr.IntConst) || mm.acc().type() != DType.F32
        || mm.c().colStride() != 1 || mm.m() <= 0 || mm.n() <= 0 || mm.k() <= 0
        || mm.m() > Integer.MAX_VALUE || mm.n() > Integer.MAX_VALUE || mm.k() > Integer.MAX_VALUE) {
      return false;
    }
    if (mm.a().buffer().dtype() != DType.F32 || mm.c().buffer().dtype() != DType.F32) {
      return false;
    }
    for (MatrixOperand x : mm.reads()) {
      if (x.buffer().dtype() != DType.F32 || x.buffer().equals(mm.c().buffer())) {
        return false;
      }
    }
    return true;
  }

  private static Buffer panels(Stmt.Matmul mm, GemmParams params, Tensor data, Map<Buffer, Tensor> constants,
      Set<String> names) {
    int nr = params.nr();
    int n = (int) mm.n();
    int k = (int) mm.k();
    long count = (long) (n + nr - 1) / nr;
    long size = count * k * nr;
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("packed weights of " + mm.b().buffer() + " exceed 2^31 elements");
    }
    float[] src = data.toFloatArray();
    float[] dst = new float[(int) size];
    long off = ((Expr.IntConst) mm.b().offset()).value();
    long rs = mm.b().rowStride();
    long cs = mm.b().colStride();
    for (int q = 0; q < count; q++) {
      for (int p = 0; p < k; p++) {
        int d = (q * k + p) * nr;
        for (int r = 0; r < nr && q * nr + r < n; r++) {
          dst[d + r] = src[(int) (off + p * rs + (long) (q * nr + r) * cs)];
        }
      }
    }
    String base = mm.b().buffer().name() + ".panels" + nr;
    String name = base;
    for (int i = 2; names.contains(name); i++) {
      name = base + "." + i;
    }
    names.add(name);
    Buffer b = Buffer.of(name, DType.F32, BufferRole.CONSTANT, count, k, nr);
    constants.put(b, Tensor.ofFloats(new long[] {count, k, nr}, dst));
    return b;
  }

  /** Every buffer {@code s} loads, stores or multiplies. */
  static void uses(Stmt s, Set<Buffer> out) {
    switch (s) {
      case Stmt.For f -> uses(f.body(), out);
      case Stmt.Block b -> b.stmts().forEach(x -> uses(x, out));
      case Stmt.If i -> {
        loads(i.condition(), out);
        uses(i.then(), out);
        i.otherwise().ifPresent(x -> uses(x, out));
      }
      case Stmt.Store st -> {
        out.add(st.buffer());
        st.indices().forEach(x -> loads(x, out));
        loads(st.value(), out);
      }
      case Stmt.Let l -> loads(l.init(), out);
      case Stmt.Assign a -> loads(a.value(), out);
      case Stmt.Matmul mm -> {
        mm.reads().forEach(x -> {
          out.add(x.buffer());
          loads(x.offset(), out);
        });
        out.add(mm.c().buffer());
        loads(mm.c().offset(), out);
        loads(mm.epilogue(), out);
      }
      case Stmt.BlockedConv cv -> {
        out.addAll(cv.reads());
        out.add(cv.y());
      }
      case Stmt.Attention at -> {
        uses(at.scores(), out);
        uses(at.output(), out);
      }
    }
  }

  private static void loads(Expr e, Set<Buffer> out) {
    switch (e) {
      case Expr.Load l -> {
        out.add(l.buffer());
        l.indices().forEach(x -> loads(x, out));
      }
      case Expr.Binary b -> {
        loads(b.lhs(), out);
        loads(b.rhs(), out);
      }
      case Expr.Unary u -> loads(u.operand(), out);
      case Expr.Call c -> c.args().forEach(x -> loads(x, out));
      case Expr.Cast c -> loads(c.operand(), out);
      case Expr.Select x -> {
        loads(x.condition(), out);
        loads(x.ifTrue(), out);
        loads(x.ifFalse(), out);
      }
      default -> { }
    }
  }
}
