package dev.kiln.passes.fusion;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.passes.pipeline.Ir;
import dev.kiln.passes.pipeline.IrLevel;
import dev.kiln.passes.pipeline.Pass;
import dev.kiln.passes.pipeline.PassContext;
import dev.kiln.passes.pipeline.PassInfo;
import dev.kiln.passes.schedule.Schedule;
import dev.kiln.passes.schedule.ScheduleException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code fuse-elementwise}: chains of elementwise kernels become one kernel, at the loop level.
 * An elementwise kernel (one nest, one store per element, no locals: what lowering makes of every
 * unary and broadcasting binary operator) whose scratch output is read by exactly one later
 * kernel, itself elementwise over as many elements and reading it once, is computed inside that
 * kernel ({@link Schedule#computeAt}) and dropped, with its buffer. Nothing is recomputed (the
 * consumer reads each element once) and the intermediate never goes to memory. A cheap producer
 * (at most two loads, no calls: a residual Add, a scale, a ReLU) is also computed inside a
 * row-wise consumer (Softmax, LayerNorm: one nest per row whose passes over the row each read it)
 * that reads it at most {@link #MAX_ROW_READS} times: it is recomputed in each pass, which costs
 * about what storing and reloading it did, and the row is one nest. Other producers or consumers
 * with reductions (MatMul, pooling) are left alone. Index maps composed by fusing (a Reshape view
 * inside its reader) are simplified with the loops' extents ({@link IndexSimplifier}).
 */
public final class FuseElementwise implements Pass {
  public static final String NAME = "fuse-elementwise";

  /** A row-wise consumer may read a fused producer this often (LayerNorm: mean, variance twice, output). */
  static final int MAX_ROW_READS = 4;

  public static final PassInfo INFO = new PassInfo(NAME,
      "compute each elementwise kernel inside its one elementwise consumer (loop IR)",
      IrLevel.LOOPS, IrLevel.LOOPS, ImmutableList.of(), options -> new FuseElementwise());

  @Override
  public Ir run(Ir input, PassContext context) {
    LoopProgram program = input.program();
    List<Kernel> kernels = new ArrayList<>(program.kernels());
    List<Buffer> scratch = new ArrayList<>(program.scratch());
    boolean changed = false;
    for (int i = 0; i < kernels.size(); i++) {
      Kernel producer = kernels.get(i);
      Optional<Buffer> p = elementwiseOutput(producer);
      if (p.isEmpty() || p.get().role() != BufferRole.SCRATCH) {
        continue;
      }
      List<Integer> readers = new ArrayList<>();
      for (int j = 0; j < kernels.size(); j++) {
        if (j != i && kernels.get(j).buffers().contains(p.get())) {
          readers.add(j);
        }
      }
      String why;
      if (readers.size() != 1) {
        why = "%" + p.get().name() + " is read by " + readers.size() + " kernels";
      } else {
        int reader = readers.get(0);
        Optional<Kernel> fused = fuse(producer, kernels.get(reader), p.get());
        if (fused.isPresent()) {
          kernels.set(reader, fused.get());
          kernels.remove(i);
          scratch.remove(p.get());
          i--;
          changed = true;
          continue;
        }
        why = "its reader (" + kernels.get(reader).source() + ") is not an elementwise kernel over"
            + " as many elements that reads it once, nor a row-wise kernel reading a cheap"
            + " producer at most " + MAX_ROW_READS + " times";
      }
      if (context.explain()) {
        context.remark(NAME, producer.source(), "not fused: " + why);
      }
    }
    if (!changed) {
      return input;
    }
    return Ir.of(new LoopProgram(program.name(), program.inputs(), program.outputs(),
        program.constants(), ImmutableList.copyOf(scratch), ImmutableList.copyOf(kernels)));
  }

  /** The consumer with the producer computed inside, or empty when the consumer does not qualify. */
  private static Optional<Kernel> fuse(Kernel producer, Kernel consumer, Buffer p) {
    Optional<Buffer> out = elementwiseOutput(consumer);
    int reads = loads(consumer.body(), p);
    boolean elementwise = out.isPresent() && out.get().size() == p.size() && reads == 1;
    boolean rowWise = !elementwise && rowWise(consumer) && reads <= MAX_ROW_READS && cheap(producer);
    if (!elementwise && !rowWise) {
      return Optional.empty();
    }
    Stmt.For root = (Stmt.For) consumer.body();
    try {
      Schedule s = Schedule.of(consumer);
      s.computeAt(producer, root.var().name());
      Kernel k = s.kernel();
      return Optional.of(k.withBody(IndexSimplifier.simplify(k.body())));
    } catch (ScheduleException e) {
      return Optional.empty();
    }
  }

  /**
   * A row-wise kernel (Softmax, LayerNorm, a reduction over the last axis): a nest over rows
   * around a body of loops that are each innermost, which reads a fused producer once per pass
   * over the row.
   */
  static boolean rowWise(Kernel k) {
    Stmt s = k.body();
    if (!(s instanceof Stmt.For)) {
      return false;
    }
    while (s instanceof Stmt.For f) {
      s = f.body();
    }
    if (!(s instanceof Stmt.Block b)) {
      return false;
    }
    boolean loops = false;
    for (Stmt x : b.stmts()) {
      if (x instanceof Stmt.For f) {
        if (!(f.body() instanceof Stmt.Store || f.body() instanceof Stmt.Assign)) {
          return false;
        }
        loops = true;
      } else if (!(x instanceof Stmt.Let || x instanceof Stmt.Store || x instanceof Stmt.Assign)) {
        return false;
      }
    }
    return loops;
  }

  /**
   * A producer cheap enough to recompute in each pass of a row-wise consumer: at most two loads
   * and no calls (an Add of a residual, a Mul or Div by a scale, a ReLU), so that recomputing it
   * costs about what storing and reloading its result would.
   */
  static boolean cheap(Kernel producer) {
    Stmt s = producer.body();
    while (s instanceof Stmt.For f) {
      s = f.body();
    }
    return s instanceof Stmt.Store st && loadsAndCalls(st.value())[0] <= 2 && loadsAndCalls(st.value())[1] == 0;
  }

  private static int[] loadsAndCalls(Expr e) {
    return switch (e) {
      case Expr.Load l -> new int[] {1, 0};
      case Expr.Binary x -> sum(loadsAndCalls(x.lhs()), loadsAndCalls(x.rhs()));
      case Expr.Unary u -> loadsAndCalls(u.operand());
      case Expr.Call c -> new int[] {0, 1};
      case Expr.Cast c -> loadsAndCalls(c.operand());
      case Expr.Select x -> sum(sum(loadsAndCalls(x.condition()), loadsAndCalls(x.ifTrue())),
          loadsAndCalls(x.ifFalse()));
      default -> new int[] {0, 0};
    };
  }

  private static int[] sum(int[] a, int[] b) {
    return new int[] {a[0] + b[0], a[1] + b[1]};
  }

  /** The buffer an elementwise kernel writes: one perfect nest around a single store. */
  static Optional<Buffer> elementwiseOutput(Kernel k) {
    Stmt s = k.body();
    while (s instanceof Stmt.For f) {
      s = f.body();
    }
    return s instanceof Stmt.Store st && k.body() instanceof Stmt.For
        ? Optional.of(st.buffer()) : Optional.empty();
  }

  private static int loads(Stmt s, Buffer b) {
    return switch (s) {
      case Stmt.For f -> loads(f.body(), b);
      case Stmt.Store st -> st.indices().stream().mapToInt(e -> loads(e, b)).sum() + loads(st.value(), b);
      case Stmt.Block bl -> bl.stmts().stream().mapToInt(x -> loads(x, b)).sum();
      case Stmt.If i -> loads(i.condition(), b) + loads(i.then(), b)
          + i.otherwise().map(x -> loads(x, b)).orElse(0);
      case Stmt.Let l -> loads(l.init(), b);
      case Stmt.Assign a -> loads(a.value(), b);
      // A matmul reads regions of its operands: as good as many loads (never inlined into).
      case Stmt.Matmul mm -> (mm.reads().stream().anyMatch(x -> x.buffer().name().equals(b.name()))
          ? 2 : 0) + loads(mm.epilogue(), b);
      case Stmt.BlockedConv cv -> cv.reads().stream().anyMatch(x -> x.name().equals(b.name())) ? 2 : 0;
      case Stmt.Attention at -> loads(at.scores(), b) + loads(at.output(), b);
    };
  }

  private static int loads(Expr e, Buffer b) {
    return switch (e) {
      case Expr.Load l -> (l.buffer().name().equals(b.name()) ? 1 : 0)
          + l.indices().stream().mapToInt(x -> loads(x, b)).sum();
      case Expr.Binary x -> loads(x.lhs(), b) + loads(x.rhs(), b);
      case Expr.Unary u -> loads(u.operand(), b);
      case Expr.Call c -> c.args().stream().mapToInt(x -> loads(x, b)).sum();
      case Expr.Cast c -> loads(c.operand(), b);
      case Expr.Select x -> loads(x.condition(), b) + loads(x.ifTrue(), b) + loads(x.ifFalse(), b);
      default -> 0;
    };
  }
}
