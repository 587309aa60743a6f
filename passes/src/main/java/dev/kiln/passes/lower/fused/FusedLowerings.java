package dev.kiln.passes.lower.fused;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.ops.elementwise.Epilogue;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import dev.kiln.passes.lower.OpLowering;
import dev.kiln.passes.lower.linalg.LinalgLowerings;
import dev.kiln.passes.lower.nn.ConvLowerings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * FusedConv, FusedGemm and FusedMatMul lower to their core operator's own lowering (looked up
 * when lowering, so a faster Conv or GEMM lowering is picked up) with the epilogue applied where
 * it stores the output: {@code out[i] = v} becomes {@code out[i] = act(v + bias[i] + Z[i])}. When
 * the core writes the output more than once or reads it back (an accumulation in place), the
 * epilogue is instead a second nest over the output in the same kernel,
 * {@code out[i] = act(out[i] + ...)}: still one kernel, one more pass over the output. A core that
 * lowers to the matmul intrinsic (f32 MatMul and Gemm) takes the epilogue into the intrinsic's
 * own: addends as broadcast matrix operands, the activation around its epilogue expression.
 *
 * <p>FusedConv is the exception: {@link ConvLowerings#fused} takes the epilogue itself and puts
 * bias, residual and activation in the matmul intrinsic's epilogue (GEMM algorithms) or in the
 * one store of each output (depthwise), so no second pass is needed.
 */
public final class FusedLowerings {
  private FusedLowerings() {}

  public static Map<String, OpLowering> all() {
    Map<String, OpLowering> all = new LinkedHashMap<>();
    all.put("FusedConv", ctx -> ConvLowerings.fused(ctx,
        x -> EpilogueExprs.activation(Epilogue.of(ctx.attrs()), x, ctx.output(0).dtype())));
    all.put("FusedGemm", ctx -> fused(ctx, LinalgLowerings.all().get("Gemm"), Optional.empty(), 3));
    all.put("FusedMatMul", ctx -> fused(ctx, LinalgLowerings.all().get("MatMul"),
        ctx.hasInput(2) ? Optional.of(2) : Optional.empty(), 3));
    return all;
  }

  /**
   * @param bias the input added after the core that the core lowering does not read itself
   * @param residual the input of Z
   */
  private static Stmt fused(
      LoweringContext ctx, OpLowering core, Optional<Integer> bias, int residual) {
    Epilogue epilogue = Epilogue.of(ctx.attrs());
    Buffer out = ctx.output(0);
    List<Buffer> addends = new ArrayList<>();
    bias.ifPresent(i -> addends.add(ctx.input(i)));
    if (ctx.hasInput(residual)) {
      addends.add(ctx.input(residual));
    }
    Stmt body = core.lower(ctx);
    if (epilogue.activation().isEmpty() && addends.isEmpty()) {
      return body;
    }
    Optional<Stmt> intoMatmul = intoMatmul(ctx, body, new ArrayList<>(), out, epilogue, addends);
    if (intoMatmul.isPresent()) {
      return intoMatmul.get();
    }
    StoreCount count = new StoreCount(out);
    count.visit(body);
    if (count.stores == 1 && !count.loads) {
      return atStore(body, out, (index, v) -> EpilogueExprs.apply(epilogue, v,
          loads(addends, index), out.dtype()));
    }
    return Stmt.Block.of(body, Nests.pointwise(ctx, out, vars -> EpilogueExprs.apply(epilogue,
        Exprs.load(out, vars), loads(addends, vars), out.dtype())));
  }

  /**
   * A core lowered to the matmul intrinsic (loops over batch dims around one {@link Stmt.Matmul}
   * into the output) takes the epilogue into its own: each addend becomes a matrix operand
   * broadcast by zero strides, and the activation wraps the intrinsic's epilogue, so the GEMM
   * applies it on each tile while it is in cache. Empty for any other shape of core.
   */
  private static Optional<Stmt> intoMatmul(LoweringContext ctx, Stmt s, List<Stmt.For> loops, Buffer out,
      Epilogue epilogue, List<Buffer> addends) {
    if (s instanceof Stmt.For f) {
      if (loops.size() >= out.rank() || f.extent() != out.dim(loops.size())) {
        return Optional.empty();
      }
      loops.add(f);
      return intoMatmul(ctx, f.body(), loops, out, epilogue, addends).map(f::withBody);
    }
    if (!(s instanceof Stmt.Matmul mm) || !mm.c().buffer().equals(out)) {
      return Optional.empty();
    }
    int batch = loops.size();
    int rest = out.rank() - batch;
    int rowDim = -1;
    int colDim = -1;
    // The output's last dims must be the product's rows and columns, row-major (as MatMul and
    // Gemm lower); anything else (a transposed or flattened output) keeps the second nest.
    long lastDim = out.rank() == 0 ? 1 : out.dim(out.rank() - 1);
    // More than two dims left: MatMul folded its batch dims into the rows (they flatten into M).
    long rows = 1;
    for (int d = batch; d < out.rank() - 1; d++) {
      rows *= out.dim(d);
    }
    if (mm.c().colStride() != 1 || (rest >= 2 && (mm.m() != rows || mm.n() != lastDim
        || mm.c().rowStride() != lastDim)) || (rest == 1 && mm.m() * mm.n() != lastDim)) {
      return Optional.empty();
    }
    if (rest >= 2) {
      rowDim = out.rank() - 2;
      colDim = out.rank() - 1;
    } else if (rest == 1) {
      if (mm.n() == 1 && mm.m() != 1) {
        rowDim = batch;
      } else {
        colDim = batch;
      }
    }
    List<Stmt.Addend> all = new ArrayList<>(mm.addends());
    List<Expr> locals = new ArrayList<>();
    for (Buffer b : addends) {
      long[] strides = b.strides();
      long[] byOutDim = new long[out.rank()];
      for (int d = 0; d < out.rank(); d++) {
        int bd = d - (out.rank() - b.rank());
        byOutDim[d] = bd < 0 || b.dim(bd) == 1 ? 0 : strides[bd];
      }
      Expr offset = Exprs.index(0);
      for (int d = 0; d < batch; d++) {
        if (byOutDim[d] != 0) {
          offset = Exprs.add(offset, Exprs.mul(loops.get(d).var(), Exprs.index(byOutDim[d])));
        }
      }
      long rowStride = rowDim < 0 ? 0 : byOutDim[rowDim];
      // Rows flattened from several dims: the addend must step through them as one dim too.
      for (int d = batch; d < rowDim; d++) {
        long flat = rowStride;
        for (int e = d + 1; e <= rowDim; e++) {
          flat *= out.dim(e);
        }
        if (out.dim(d) != 1 && byOutDim[d] != flat) {
          return Optional.empty();
        }
      }
      dev.kiln.ir.loop.Local local = ctx.local("z", b.dtype());
      all.add(new Stmt.Addend(local, new dev.kiln.ir.loop.MatrixOperand(b, offset,
          rowStride, colDim < 0 ? 0 : byOutDim[colDim])));
      locals.add(local);
    }
    return Optional.of(new Stmt.Matmul(mm.a(), mm.b(), mm.c(), mm.m(), mm.n(), mm.k(), mm.acc(),
        ImmutableList.copyOf(all), EpilogueExprs.apply(epilogue, mm.epilogue(), locals, out.dtype())));
  }

  private static List<Expr> loads(List<Buffer> addends, List<? extends Expr> index) {
    return addends.stream().map(b -> Nests.loadBroadcast(b, index)).toList();
  }

  /** The epilogue of one store: from the store's index and its value to the new value. */
  @FunctionalInterface
  private interface AtStore {
    Expr apply(List<Expr> index, Expr value);
  }

  /** {@code s} with the value of every store into {@code out} passed through {@code epilogue}. */
  private static Stmt atStore(Stmt s, Buffer out, AtStore epilogue) {
    return switch (s) {
      case Stmt.For f -> new Stmt.For(f.var(), f.extent(), f.kind(), atStore(f.body(), out, epilogue));
      case Stmt.Store st -> st.buffer().name().equals(out.name())
          ? new Stmt.Store(st.buffer(), st.indices(), epilogue.apply(st.indices(), st.value()))
          : st;
      case Stmt.Block b -> new Stmt.Block(
          b.stmts().stream().map(x -> atStore(x, out, epilogue)).collect(ImmutableList.toImmutableList()));
      case Stmt.If i -> new Stmt.If(i.condition(), atStore(i.then(), out, epilogue),
          i.otherwise().map(x -> atStore(x, out, epilogue)));
      case Stmt.Let l -> l;
      case Stmt.Assign a -> a;
      case Stmt.Matmul mm -> mm; // not reached: a matmul core takes the epilogue itself (intoMatmul)
      case Stmt.BlockedConv cv -> cv; // not reached: blocked convolutions take their epilogue themselves
      case Stmt.Attention at -> at; // not reached: made after lowering (fuse-attention)
    };
  }

  /** Counts the stores into and the loads from one buffer. */
  private static final class StoreCount {
    final Buffer buffer;
    int stores;
    boolean loads;

    StoreCount(Buffer buffer) {
      this.buffer = buffer;
    }

    void visit(Stmt s) {
      switch (s) {
        case Stmt.For f -> visit(f.body());
        case Stmt.Store st -> {
          if (st.buffer().name().equals(buffer.name())) {
            stores++;
          }
          st.indices().forEach(this::visit);
          visit(st.value());
        }
        case Stmt.Block b -> b.stmts().forEach(this::visit);
        case Stmt.If i -> {
          visit(i.condition());
          visit(i.then());
          i.otherwise().ifPresent(this::visit);
        }
        case Stmt.Let l -> visit(l.init());
        case Stmt.Assign a -> visit(a.value());
        case Stmt.Matmul mm -> {
          // A matmul writes a region, not one store per element (a matmul core normally takes the
          // epilogue itself, see intoMatmul): never an epilogue at a single store.
          if (mm.c().buffer().name().equals(buffer.name())) {
            stores += 2;
          }
          loads |= mm.reads().stream().anyMatch(x -> x.buffer().name().equals(buffer.name()));
        }
        case Stmt.BlockedConv cv -> {
          if (cv.y().name().equals(buffer.name())) {
            stores += 2;
          }
          loads |= cv.reads().stream().anyMatch(x -> x.name().equals(buffer.name()));
        }
        case Stmt.Attention at -> {
          visit(at.scores());
          visit(at.output());
        }
      }
    }

    void visit(Expr e) {
      switch (e) {
        case Expr.Load l -> {
          loads |= l.buffer().name().equals(buffer.name());
          l.indices().forEach(this::visit);
        }
        case Expr.Binary b -> {
          visit(b.lhs());
          visit(b.rhs());
        }
        case Expr.Unary u -> visit(u.operand());
        case Expr.Call c -> c.args().forEach(this::visit);
        case Expr.Cast c -> visit(c.operand());
        case Expr.Select s -> {
          visit(s.condition());
          visit(s.ifTrue());
          visit(s.ifFalse());
        }
        default -> {}
      }
    }
  }
}
