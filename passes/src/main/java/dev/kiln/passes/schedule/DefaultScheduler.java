package dev.kiln.passes.schedule;

import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.type.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The schedule a kernel gets when no custom {@link ScheduleFunction} is registered for it. It
 * looks at the shape of each top-level loop nest and only asks primitives for what it wants; a
 * primitive that refuses (its precondition does not hold) is skipped, so the result is always
 * legal, at worst less optimized.
 *
 * <ul>
 *   <li><b>Elementwise</b> (a perfect nest whose innermost body has no loop): fuse the outer
 *       loops that may each run in parallel (all but the innermost, up to the first that carries a
 *       dependence) into one and parallelize it; split the innermost by {@code vectorLanes}
 *       when that divides its extent and vectorize the lanes (otherwise vectorize the whole
 *       innermost loop, whose tail code generation masks).
 *   <li><b>Reduction into an accumulator</b> (a perfect nest whose innermost body declares a
 *       local and runs loops: matmul, convolution, pooling). When the body is
 *       {@code let acc; reduction; out[..., j] = acc} with an f32 output and the reduction reads unit-stride in the
 *       last output loop {@code j} (matmul {@code a[i, k] * w[k, j]}), accumulate in the output,
 *       distribute the nest into an initialization nest and an update nest, move the reduction
 *       loops outside {@code j} ({@code i, k, j}) and vectorize {@code j}; both nests are
 *       parallelized. Otherwise tile the two innermost output loops by
 *       {@code tileRows x tileCols} when both are larger, parallelize the outermost loop that
 *       allows it, and unroll reduction loops no longer than {@code maxUnrollExtent}. In a
 *       row-wise body (every loop in it innermost: softmax, LayerNorm, a reduction over the last
 *       axis), vectorize the loops of at least {@code vectorLanes} iterations: reduction steps
 *       into a local accumulate per lane, the others are elementwise over the row.
 *   <li><b>Anything else</b>: parallelize the outermost loop that allows it.
 * </ul>
 */
public final class DefaultScheduler implements ScheduleFunction {
  private final ScheduleOptions options;

  public DefaultScheduler(ScheduleOptions options) {
    this.options = options;
  }

  @Override
  public Schedule schedule(Kernel kernel) {
    Schedule s = Schedule.of(kernel);
    boolean[] intrinsic = {false};
    Loops.forEachStmt(kernel.body(), x -> intrinsic[0] |= x instanceof Stmt.Matmul || x instanceof Stmt.BlockedConv
        || x instanceof Stmt.Attention);
    if (intrinsic[0]) {
      return s; // code generation blocks, vectorizes and parallelizes matmul intrinsics itself
    }
    List<Stmt.For> roots = new ArrayList<>();
    if (kernel.body() instanceof Stmt.Block b) {
      b.stmts().stream().filter(x -> x instanceof Stmt.For).forEach(x -> roots.add((Stmt.For) x));
    } else if (kernel.body() instanceof Stmt.For f) {
      roots.add(f);
    }
    for (Stmt.For root : roots) {
      List<Stmt.For> chain = perfectChain(root);
      Stmt innermostBody = chain.getLast().body();
      if (!Loops.containsLoop(innermostBody)) {
        elementwise(s, chain);
      } else if (declaresLocal(innermostBody)) {
        Optional<Schedule> inPlace = vectorizedInPlace(s, chain);
        if (inPlace.isPresent()) {
          s = inPlace.get();
        } else {
          reduction(s, chain, innermostBody);
        }
      } else {
        parallelizeOutermost(s, root.var().name());
      }
    }
    return s;
  }

  private void elementwise(Schedule s, List<Stmt.For> chain) {
    // Fuse the outer loops that could each run in parallel (not the innermost: it gets the
    // lanes); a loop carrying a dependence (a reduction) stops the prefix.
    int parallelPrefix = 0;
    while (parallelPrefix + 1 < chain.size() && canParallelize(s, chain.get(parallelPrefix).var().name())) {
      parallelPrefix++;
    }
    String outer = parallelPrefix == 0 ? null : chain.getFirst().var().name();
    for (int k = 1; k < parallelPrefix; k++) {
      String next = chain.get(k).var().name();
      String[] fused = {outer};
      if (!attempt(() -> fused[0] = s.fuse(fused[0], next).name())) {
        break;
      }
      outer = fused[0];
    }
    Stmt.For last = chain.getLast();
    String inner = last.var().name();
    if (options.vectorLanes() > 1 && last.extent() >= 2 && canVectorize(s, inner)) {
      if (last.extent() % options.vectorLanes() == 0 && last.extent() > options.vectorLanes()) {
        Schedule.SplitLoops lanes = s.split(inner, options.vectorLanes());
        inner = lanes.inner().name();
        outer = outer == null ? lanes.outer().name() : outer;
      }
      String lanes = inner;
      attempt(() -> s.vectorize(lanes));
    }
    if (outer != null) {
      parallelizeOutermost(s, outer);
    }
  }

  private void reduction(Schedule s, List<Stmt.For> chain, Stmt innermostBody) {
    String root = chain.getFirst().var().name();
    if (chain.size() >= 2) {
      Stmt.For rows = chain.get(chain.size() - 2);
      Stmt.For cols = chain.getLast();
      if (rows.extent() > options.tileRows() && cols.extent() > options.tileCols()) {
        try {
          Schedule.TiledLoops t = s.tile(rows.var().name(), cols.var().name(), options.tileRows(),
              options.tileCols());
          root = chain.size() == 2 ? t.outerA().name() : root;
        } catch (ScheduleException refused) {
          // Tiling would reorder dependent iterations: keep the nest as it is.
        }
      }
    }
    parallelizeOutermost(s, root);
    if (options.vectorLanes() > 1 && rowWise(innermostBody)) {
      Loops.forEachStmt(innermostBody, x -> {
        if (x instanceof Stmt.For f && f.extent() >= options.vectorLanes()) {
          attempt(() -> s.vectorize(f.var().name()));
        }
      });
    }
    Loops.forEachStmt(innermostBody, x -> {
      if (x instanceof Stmt.For f && !Loops.containsLoop(f.body()) && f.extent() <= options.maxUnrollExtent()) {
        attempt(() -> s.unroll(f.var().name()));
      }
    });
  }

  /**
   * The reduction accumulated in its output so that the output's last loop can be vectorized:
   * accumulate in place, distribute the nest into an initialization and an update nest, move the
   * update's reduction loops outside its last output loop, vectorize that loop (and the
   * initialization's), parallelize both nests. Empty when any step is refused, or when the
   * vectorized body would hold a conditional (padding), which code generation keeps scalar —
   * then a local accumulator is the better choice.
   */
  private Optional<Schedule> vectorizedInPlace(Schedule s, List<Stmt.For> chain) {
    // vectorLanes counts f32 lanes; other types would run the in-place form as scalar code,
    // where a local accumulator is faster.
    if (options.vectorLanes() <= 1 || !(chain.getLast().body() instanceof Stmt.Block b)
        || !(b.stmts().getLast() instanceof Stmt.Store out) || out.buffer().dtype() != DType.F32) {
      return Optional.empty();
    }
    Schedule p = s.copy();
    try {
      String output = chain.getLast().var().name();
      p.accumulateInPlace(output);
      String update = p.fission(output).get(1).name();
      String initRoot = output;
      String updateRoot = update;
      for (int d = chain.size() - 2; d >= 0; d--) {
        List<dev.kiln.ir.loop.Var> parts = p.fission(chain.get(d).var().name());
        initRoot = parts.get(0).name();
        updateRoot = parts.get(1).name();
      }
      List<String> order = new ArrayList<>();
      List<Stmt.For> updateChain = perfectChain(Loops.find(p.kernel().body(), update).orElseThrow().loop());
      updateChain.subList(1, updateChain.size()).forEach(f -> order.add(f.var().name()));
      order.add(update);
      p.reorder(order.toArray(String[]::new));
      Stmt.For lanes = Loops.find(p.kernel().body(), update).orElseThrow().loop();
      boolean[] conditional = {false};
      Loops.forEachStmt(lanes.body(), x -> conditional[0] |= x instanceof Stmt.If);
      if (conditional[0]) {
        return Optional.empty();
      }
      p.vectorize(update);
      attempt(() -> p.vectorize(output));
      parallelizeOutermost(p, initRoot);
      parallelizeOutermost(p, updateRoot);
      return Optional.of(p);
    } catch (ScheduleException refused) {
      return Optional.empty();
    }
  }

  /** Parallelizes the first loop, going inward along the nest from {@code root}, that allows it. */
  private void parallelizeOutermost(Schedule s, String root) {
    if (!options.parallel()) {
      return;
    }
    for (Stmt.For f : perfectChain(Loops.find(s.kernel().body(), root).orElseThrow().loop())) {
      if (f.extent() <= 1 || f.kind() != dev.kiln.ir.loop.LoopKind.SERIAL) {
        continue;
      }
      try {
        s.parallelize(f.var().name());
        return;
      } catch (ScheduleException refused) {
        // Try the next loop inward.
      }
    }
  }

  /** Applies a primitive if its preconditions hold; a refusal leaves the schedule unchanged. */
  private static boolean attempt(Runnable primitive) {
    try {
      primitive.run();
      return true;
    } catch (ScheduleException refused) {
      return false;
    }
  }

  /** Whether the primitive would apply, tried on a copy. */
  private static boolean canParallelize(Schedule s, String loop) {
    return attempt(() -> s.copy().parallelize(loop));
  }

  private static boolean canVectorize(Schedule s, String loop) {
    return attempt(() -> s.copy().vectorize(loop));
  }

  /** The loops from {@code root} inward while each is the whole body of the previous (through guards). */
  private static List<Stmt.For> perfectChain(Stmt.For root) {
    List<Stmt.For> chain = new ArrayList<>();
    Stmt s = root;
    while (true) {
      while (s instanceof Stmt.If i && i.otherwise().isEmpty() && Loops.isPureIndex(i.condition())) {
        s = i.then();
      }
      if (!(s instanceof Stmt.For f)) {
        return chain;
      }
      chain.add(f);
      s = f.body();
    }
  }

  /**
   * A row-wise body (softmax, LayerNorm, a reduction over the last axis): loops one deep, each a
   * reduction step into a local or an elementwise pass over the row, both vectorized.
   */
  private static boolean rowWise(Stmt body) {
    boolean[] flat = {true};
    Loops.forEachStmt(body, x -> flat[0] &= !(x instanceof Stmt.For f) || !Loops.containsLoop(f.body()));
    return flat[0];
  }

  private static boolean declaresLocal(Stmt body) {
    return body instanceof Stmt.Block b && b.stmts().stream().anyMatch(x -> x instanceof Stmt.Let);
  }
}
