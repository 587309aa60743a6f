package dev.kiln.passes.schedule;

import static dev.kiln.ir.loop.Exprs.index;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The schedule of one kernel: the algorithm (the kernel as lowered) stays as it is, and schedule
 * primitives called on named loops restructure its loop nests without changing what it computes
 * — the Halide/TVM split between algorithm and schedule. The loop IR is immutable: a schedule
 * holds the current kernel and the trace of the calls that made it from the original.
 *
 * <p>Loops are named by their variable's name (unique in a kernel). Primitives that make loops
 * return handles to them; their names derive from the old ones ({@code i.o}, {@code i.i},
 * {@code i_j}), with a number appended when taken. Every primitive lists its preconditions,
 * numbered, and throws {@link ScheduleException} naming the first one violated; the schedule is
 * then unchanged. Primitives that reorder iterations prove that they may with {@link Dependences},
 * which is conservative: it may refuse a legal schedule, never accept an illegal one.
 *
 * <p>Not thread-safe; one schedule is built by one thread.
 */
public final class Schedule {
  /** The largest extent {@link #unroll} accepts: unrolling repeats the body that many times. */
  public static final long MAX_UNROLL_EXTENT = 64;

  private final Kernel original;
  private Kernel kernel;
  private final List<TraceStep> steps = new ArrayList<>();

  private Schedule(Kernel kernel) {
    this.original = kernel;
    this.kernel = kernel;
  }

  public static Schedule of(Kernel kernel) {
    return new Schedule(kernel);
  }

  /** An independent schedule in the same state, to try primitives on without committing to them. */
  public Schedule copy() {
    Schedule c = new Schedule(original);
    c.kernel = kernel;
    c.steps.addAll(steps);
    return c;
  }

  /** The kernel as given. */
  public Kernel original() {
    return original;
  }

  /** The kernel with every primitive applied so far. */
  public Kernel kernel() {
    return kernel;
  }

  public Trace trace() {
    return new Trace(ImmutableList.copyOf(steps));
  }

  /** The two loops a split makes: {@code loop = outer * factor + inner}. */
  public record SplitLoops(Var outer, Var inner) {}

  /** The four loops a tile makes, in their nesting order. */
  public record TiledLoops(Var outerA, Var outerB, Var innerA, Var innerB) {}

  /**
   * Splits loop {@code v} of extent {@code E} into {@code v.o} of extent {@code ceil(E / factor)}
   * around {@code v.i} of extent {@code factor}, with {@code v = v.o * factor + v.i}. When the
   * factor does not divide {@code E} the body is guarded by {@code if v.o * factor + v.i < E}, so
   * the last outer iteration runs a partial inner loop. Iterations keep their order, so a split is
   * always legal. Both new loops are serial.
   *
   * <p>Preconditions:
   * <ol>
   *   <li>{@code loop} names a loop of the kernel.
   *   <li>{@code factor >= 1}.
   *   <li>the loop is serial.
   * </ol>
   */
  public SplitLoops split(String loop, long factor) {
    String call = "split(" + loop + ", " + factor + ")";
    Stmt.For l = find(call, loop, 1);
    if (factor < 1) {
      throw fail(call, ScheduleError.BAD_ARGUMENT, 2, "the factor must be at least 1, got " + factor);
    }
    requireSerial(call, l, 3);
    Set<String> used = Loops.loopNames(kernel.body());
    Var outer = new Var(Loops.fresh(loop + ".o", used));
    used.add(outer.name());
    Var inner = new Var(Loops.fresh(loop + ".i", used));
    commit(Loops.replace(kernel.body(), loop, f -> splitLoop(f, factor, outer, inner)),
        new TraceStep.Split(loop, factor, outer.name(), inner.name()));
    return new SplitLoops(outer, inner);
  }

  public SplitLoops split(Var loop, long factor) {
    return split(loop.name(), factor);
  }

  private static Stmt splitLoop(Stmt.For l, long factor, Var outer, Var inner) {
    Expr value = Loops.binary(BinaryOp.ADD, Loops.binary(BinaryOp.MUL, outer, index(factor)), inner);
    Stmt body = Loops.substitute(l.body(), Map.of(l.var(), value));
    if (l.extent() % factor != 0) {
      body = Stmt.If.of(Exprs.lt(value, index(l.extent())), body);
    }
    long outerExtent = (l.extent() + factor - 1) / factor;
    return new Stmt.For(outer, outerExtent, LoopKind.SERIAL,
        new Stmt.For(inner, factor, LoopKind.SERIAL, body));
  }

  /**
   * Tiles two perfectly nested loops {@code a} (outer) and {@code b}: splits both and reorders
   * to {@code a.o, b.o, a.i, b.i}, so the inner two loops walk a {@code factorA x factorB} tile.
   * Recorded in the trace as one step.
   *
   * <p>Preconditions:
   * <ol>
   *   <li>{@code loopA} and {@code loopB} name loops of the kernel.
   *   <li>they are different loops.
   *   <li>{@code loopB} is the whole body of {@code loopA}.
   *   <li>both factors are at least 1.
   *   <li>both loops are serial.
   *   <li>moving {@code b.o} outside {@code a.i} keeps dependent iterations in order
   *       (precondition 5 of {@link #reorder}).
   * </ol>
   */
  public TiledLoops tile(String loopA, String loopB, long factorA, long factorB) {
    String call = "tile(" + loopA + ", " + loopB + ", " + factorA + ", " + factorB + ")";
    Stmt.For a = find(call, loopA, 1);
    Stmt.For b = find(call, loopB, 1);
    if (loopA.equals(loopB)) {
      throw fail(call, ScheduleError.DUPLICATE_LOOP, 2, "loop " + loopA + " is given twice");
    }
    if (!a.body().equals(b)) {
      throw fail(call, ScheduleError.NOT_PERFECTLY_NESTED, 3,
          "loop " + loopB + " is not the whole body of loop " + loopA);
    }
    if (factorA < 1 || factorB < 1) {
      throw fail(call, ScheduleError.BAD_ARGUMENT, 4,
          "the factors must be at least 1, got " + factorA + " and " + factorB);
    }
    requireSerial(call, a, 5);
    requireSerial(call, b, 5);
    Kernel before = kernel;
    int stepsBefore = steps.size();
    try {
      SplitLoops sa = split(loopA, factorA);
      SplitLoops sb = split(loopB, factorB);
      reorder(sa.outer().name(), sb.outer().name(), sa.inner().name(), sb.inner().name());
      steps.subList(stepsBefore, steps.size()).clear();
      steps.add(new TraceStep.Tile(loopA, loopB, factorA, factorB, sa.outer().name(),
          sb.outer().name(), sa.inner().name(), sb.inner().name()));
      return new TiledLoops(sa.outer(), sb.outer(), sa.inner(), sb.inner());
    } catch (ScheduleException e) {
      kernel = before;
      steps.subList(stepsBefore, steps.size()).clear();
      // Only reorder's dependence test (its precondition 5) can refuse once 1 to 5 hold.
      throw fail(call, ScheduleError.DEPENDENCE, 6, e.detail());
    }
  }

  public TiledLoops tile(Var loopA, Var loopB, long factorA, long factorB) {
    return tile(loopA.name(), loopB.name(), factorA, factorB);
  }

  /**
   * Permutes loops of one perfect nest: the given loops take the nest positions they occupy
   * among themselves, in the order given; loops of the nest not given stay where they are.
   * Guards that splits placed between the loops move with the loops they test.
   *
   * <p>Preconditions:
   * <ol>
   *   <li>every name is a loop of the kernel.
   *   <li>at least two loops, none given twice.
   *   <li>the loops lie on one perfect nest: from the outermost given loop to the innermost,
   *       each loop's body is the next loop, possibly inside guards {@code if c} (without else)
   *       whose condition reads only loop variables.
   *   <li>the given loops are serial.
   *   <li>loops that carry a dependence (see {@link Dependences}) keep their relative order, so
   *       iterations that touch the same element still run in the same order.
   * </ol>
   */
  public void reorder(String... loops) {
    String call = "reorder(" + String.join(", ", loops) + ")";
    List<Loops.Found> found = new ArrayList<>();
    for (String name : loops) {
      found.add(findWithContext(call, name, 1));
    }
    Set<String> distinct = new HashSet<>(List.of(loops));
    if (loops.length < 2 || distinct.size() != loops.length) {
      throw fail(call, loops.length < 2 ? ScheduleError.BAD_ARGUMENT : ScheduleError.DUPLICATE_LOOP, 2,
          loops.length < 2 ? "give at least two loops" : "a loop is given twice");
    }
    Nest nest = Nest.spanning(found).orElseThrow(() -> fail(call, ScheduleError.NOT_PERFECTLY_NESTED, 3,
        "loops " + String.join(", ", loops) + " are not one perfect nest"));
    for (Loops.Found f : found) {
      requireSerial(call, f.loop(), 4);
    }
    List<Var> newOrder = nest.permuted(List.of(loops));
    Map<Var, String> carried = Dependences.carried(nest.innermostBody(), nest.vars(),
        Loops.extents(kernel.body()), nest.enclosingVars());
    List<Var> carriedBefore = nest.vars().stream().filter(carried::containsKey).toList();
    List<Var> carriedAfter = newOrder.stream().filter(carried::containsKey).toList();
    if (!carriedBefore.equals(carriedAfter)) {
      Var first = carriedBefore.stream().filter(v -> carriedBefore.indexOf(v) != carriedAfter.indexOf(v))
          .findFirst().orElseThrow();
      throw fail(call, ScheduleError.DEPENDENCE, 5,
          "loops " + carriedBefore + " carry dependences and would be reordered to " + carriedAfter
              + ": " + carried.get(first));
    }
    String outermost = nest.loops().getFirst().var().name();
    commit(Loops.replace(kernel.body(), outermost, f -> nest.rebuild(newOrder)),
        new TraceStep.Reorder(ImmutableList.copyOf(loops)));
  }

  public void reorder(Var... loops) {
    reorder(java.util.Arrays.stream(loops).map(Var::name).toArray(String[]::new));
  }

  /**
   * Fuses loop {@code outer} and the loop {@code inner} that is its whole body into one loop
   * {@code outer_inner} of extent {@code Eo * Ei}, with {@code outer = floordiv(f, Ei)} and
   * {@code inner = floormod(f, Ei)}. Iterations keep their order, so fusing is always legal.
   *
   * <p>Preconditions:
   * <ol>
   *   <li>{@code outer} and {@code inner} name loops of the kernel.
   *   <li>{@code inner} is the whole body of {@code outer}.
   *   <li>both loops are serial.
   *   <li>the fused extent is below 2^31 (loop variables are i32).
   * </ol>
   */
  public Var fuse(String outer, String inner) {
    String call = "fuse(" + outer + ", " + inner + ")";
    Stmt.For o = find(call, outer, 1);
    Stmt.For i = find(call, inner, 1);
    if (!o.body().equals(i)) {
      throw fail(call, ScheduleError.NOT_PERFECTLY_NESTED, 2,
          "loop " + inner + " is not the whole body of loop " + outer);
    }
    requireSerial(call, o, 3);
    requireSerial(call, i, 3);
    long extent = o.extent() * i.extent();
    if (o.extent() != 0 && (extent / o.extent() != i.extent() || extent > Integer.MAX_VALUE)) {
      throw fail(call, ScheduleError.BAD_ARGUMENT, 4,
          "the fused extent " + o.extent() + " * " + i.extent() + " does not fit in i32");
    }
    Var fused = new Var(Loops.fresh(outer + "_" + inner, Loops.loopNames(kernel.body())));
    // A loop of extent 1 only takes the value 0; the other one then is the fused loop itself.
    Expr outerValue = o.extent() == 1 ? index(0) : i.extent() == 1 ? fused
        : Loops.binary(BinaryOp.FLOOR_DIV, fused, index(i.extent()));
    Expr innerValue = i.extent() == 1 ? index(0) : o.extent() == 1 ? fused
        : Loops.binary(BinaryOp.FLOOR_MOD, fused, index(i.extent()));
    Stmt body = Loops.substitute(i.body(), Map.of(o.var(), outerValue, i.var(), innerValue));
    commit(Loops.replace(kernel.body(), outer, f -> new Stmt.For(fused, extent, LoopKind.SERIAL, body)),
        new TraceStep.Fuse(outer, inner, fused.name()));
    return fused;
  }

  public Var fuse(Var outer, Var inner) {
    return fuse(outer.name(), inner.name());
  }

  /**
   * Marks an innermost loop vectorized: its iterations become SIMD lanes in generated code.
   *
   * <p>Preconditions:
   * <ol>
   *   <li>{@code loop} names a loop of the kernel.
   *   <li>the loop is serial.
   *   <li>its body contains no loop.
   *   <li>its body assigns no local declared outside it (no value carried between lanes), unless
   *       the body is a single f32 reduction step {@code acc = acc + e} (or max, min; see
   *       {@link dev.kiln.ir.loop.LaneReduction}): the lanes then accumulate partial results,
   *       combined after the loop, which reassociates a sum.
   *   <li>its iterations are independent: every buffer it stores into is stored and loaded at one
   *       index list, which determines the loop variable (see {@link Dependences}).
   *   <li>every access uses the loop variable only as a unit-stride term of its last index
   *       ({@code x[.., e + v]}), or not at all (a broadcast): lanes touch consecutive elements.
   * </ol>
   */
  public void vectorize(String loop) {
    String call = "vectorize(" + loop + ")";
    Loops.Found found = findWithContext(call, loop, 1);
    Stmt.For l = found.loop();
    requireSerial(call, l, 2);
    if (Loops.containsLoop(l.body())) {
      throw fail(call, ScheduleError.NOT_INNERMOST, 3, "loop " + loop + " contains another loop");
    }
    if (dev.kiln.ir.loop.LaneReduction.of(l.body()).isEmpty()) {
      requireIndependent(call, found, 4, 5); // a reduction step stores nothing: independent lanes
    }
    Vectorization.firstNonContiguousAccess(l.body(), l.var()).ifPresent(access -> {
      throw fail(call, ScheduleError.NOT_CONTIGUOUS, 6,
          "access " + access + " does not use " + loop + " as the unit-stride last index");
    });
    commit(Loops.replace(kernel.body(), loop, f -> f.withKind(LoopKind.VECTORIZED)),
        new TraceStep.Vectorize(loop));
  }

  public void vectorize(Var loop) {
    vectorize(loop.name());
  }

  /**
   * Marks a loop parallel: its iterations run on the thread pool, in any order.
   *
   * <p>Preconditions:
   * <ol>
   *   <li>{@code loop} names a loop of the kernel.
   *   <li>the loop is serial.
   *   <li>no loop around it or inside it is parallel.
   *   <li>its body assigns no local declared outside it.
   *   <li>its iterations are independent: every buffer its body stores into is stored and loaded
   *       at one index list, which determines the loop variable, so no two iterations write the
   *       same element and none reads what another writes (see {@link Dependences}).
   * </ol>
   */
  public void parallelize(String loop) {
    String call = "parallelize(" + loop + ")";
    Loops.Found found = findWithContext(call, loop, 1);
    Stmt.For l = found.loop();
    requireSerial(call, l, 2);
    List<Stmt.For> nested = new ArrayList<>(found.enclosing());
    Loops.forEachStmt(l.body(), s -> {
      if (s instanceof Stmt.For f) {
        nested.add(f);
      }
    });
    nested.stream().filter(f -> f.kind() == LoopKind.PARALLEL).findFirst().ifPresent(p -> {
      throw fail(call, ScheduleError.NESTED_PARALLEL, 3, "loop " + p.var() + " is already parallel");
    });
    requireIndependent(call, found, 4, 5);
    commit(Loops.replace(kernel.body(), loop, f -> f.withKind(LoopKind.PARALLEL)),
        new TraceStep.Parallelize(loop));
  }

  public void parallelize(Var loop) {
    parallelize(loop.name());
  }

  /**
   * Marks a loop unrolled: generated code repeats its body once per iteration, in order, so
   * unrolling is always legal.
   *
   * <p>Preconditions:
   * <ol>
   *   <li>{@code loop} names a loop of the kernel.
   *   <li>the loop is serial.
   *   <li>its extent is at most {@link #MAX_UNROLL_EXTENT}.
   * </ol>
   */
  public void unroll(String loop) {
    String call = "unroll(" + loop + ")";
    Stmt.For l = find(call, loop, 1);
    requireSerial(call, l, 2);
    if (l.extent() > MAX_UNROLL_EXTENT) {
      throw fail(call, ScheduleError.BAD_ARGUMENT, 3, "loop " + loop + " has extent " + l.extent()
          + "; at most " + MAX_UNROLL_EXTENT + " can be unrolled");
    }
    commit(Loops.replace(kernel.body(), loop, f -> f.withKind(LoopKind.UNROLLED)),
        new TraceStep.Unroll(loop));
  }

  public void unroll(Var loop) {
    unroll(loop.name());
  }

  /**
   * Accumulates a reduction in its output element instead of a local: in the body of
   * {@code loop}, {@code let acc = init; R; buf[index] = acc} becomes
   * {@code buf[index] = init; R'} where {@code R'} reads and writes {@code buf[index]} wherever
   * {@code R} used {@code acc}. With no local carried between iterations, {@link #fission} can
   * then separate the initialization and a {@link #reorder} move the reduction loop outward.
   * Every partial sum is stored with the buffer's type, which is the local's, so results are
   * bit-identical.
   *
   * <p>Preconditions:
   * <ol>
   *   <li>{@code loop} names a loop of the kernel.
   *   <li>its body is exactly {@code let acc = init}, a loop, and {@code buf[index] = acc} (the
   *       store's typing makes {@code acc} of {@code buf}'s element type).
   *   <li>{@code index} reads no data or local, and the reduction loop does not access {@code buf}.
   * </ol>
   */
  public void accumulateInPlace(String loop) {
    String call = "accumulate_in_place(" + loop + ")";
    Stmt.For l = find(call, loop, 1);
    if (!(l.body() instanceof Stmt.Block b) || b.stmts().size() != 3
        || !(b.stmts().get(0) instanceof Stmt.Let let) || !(b.stmts().get(1) instanceof Stmt.For reduction)
        || !(b.stmts().get(2) instanceof Stmt.Store store) || !store.value().equals(let.local())) {
      throw fail(call, ScheduleError.NOT_AN_ACCUMULATION, 2, "the body of loop " + loop
          + " is not `let $acc = init`, a loop, and `buffer[index] = $acc`");
    }
    if (!store.indices().stream().allMatch(Loops::isPureIndex)) {
      throw fail(call, ScheduleError.NOT_AN_ACCUMULATION, 3, "the index " + store.indices() + " of "
          + store.buffer() + " reads data or a local");
    }
    if (Loops.buffers(reduction).contains(store.buffer())) {
      throw fail(call, ScheduleError.NOT_AN_ACCUMULATION, 3, "the reduction loop " + reduction.var()
          + " accesses " + store.buffer());
    }
    Reductions.Accumulation a = new Reductions.Accumulation(let.local(), let.init(), reduction,
        store.buffer(), store.indices());
    commit(Loops.replace(kernel.body(), loop, f -> f.withBody(a.inPlace())),
        new TraceStep.AccumulateInPlace(loop));
  }

  public void accumulateInPlace(Var loop) {
    accumulateInPlace(loop.name());
  }

  /**
   * Distributes a loop over the statements of its body: {@code for j { S1; S2 }} becomes
   * {@code for j { S1 }; for j2 { S2 }}. The first loop keeps the variable; the others get fresh
   * ones, returned in order (all loops, the first included).
   *
   * <p>Preconditions:
   * <ol>
   *   <li>{@code loop} names a loop of the kernel.
   *   <li>its body is a block of at least two statements, none of them a {@code let} or an
   *       assignment (a local shared between them would be out of scope).
   *   <li>the loop is serial.
   *   <li>its iterations are independent (as for {@link #parallelize}, precondition 5): then
   *       running all of S1 before all of S2 meets every dependence, since only statements of one
   *       iteration touch the same element, and they keep their order.
   * </ol>
   */
  public List<Var> fission(String loop) {
    String call = "fission(" + loop + ")";
    Loops.Found found = findWithContext(call, loop, 1);
    Stmt.For l = found.loop();
    if (!(l.body() instanceof Stmt.Block b) || b.stmts().size() < 2
        || b.stmts().stream().anyMatch(x -> x instanceof Stmt.Let || x instanceof Stmt.Assign)) {
      throw fail(call, ScheduleError.NOT_DISTRIBUTABLE, 2, "the body of loop " + loop
          + " is not a block of two or more statements free of let and assignments");
    }
    requireSerial(call, l, 3);
    requireIndependent(call, found, 4, 4);
    List<Stmt.For> loops = Reductions.distribute(l, b.stmts(), Loops.loopNames(kernel.body()));
    commit(Loops.replace(kernel.body(), loop, f -> new Stmt.Block(ImmutableList.copyOf(loops))),
        new TraceStep.Fission(loop, loops.stream().map(f -> f.var().name()).collect(ImmutableList.toImmutableList())));
    return loops.stream().map(Stmt.For::var).toList();
  }

  public List<Var> fission(Var loop) {
    return fission(loop.name());
  }

  /**
   * Computes the scratch buffer of an elementwise producer kernel inside {@code loop} of this
   * kernel: every load of that buffer in the loop's body is replaced by the producer's expression
   * for that element. Preconditions and the form of producer accepted: {@link ComputeAt}.
   */
  public void computeAt(Kernel producer, String loop) {
    String call = "compute_at(" + producer.name() + ", " + loop + ")";
    Stmt.For l = find(call, loop, 1);
    Kernel result = ComputeAt.apply(kernel, producer, l, (kind, number, detail) -> fail(call, kind, number, detail));
    kernel = result;
    steps.add(new TraceStep.ComputeAt(producer.name(), loop));
  }

  public void computeAt(Kernel producer, Var loop) {
    computeAt(producer, loop.name());
  }

  // ---- helpers ------------------------------------------------------------------------------

  private void commit(Stmt body, TraceStep step) {
    kernel = kernel.withBody(body);
    steps.add(step);
  }

  private Stmt.For find(String call, String name, int precondition) {
    return findWithContext(call, name, precondition).loop();
  }

  private Loops.Found findWithContext(String call, String name, int precondition) {
    // The dependence analysis sees loads and stores, not the region a matmul intrinsic writes:
    // loops around one are the GEMM generator's to schedule, not these primitives'.
    Loops.forEachStmt(kernel.body(), x -> {
      if (x instanceof Stmt.Matmul || x instanceof Stmt.Attention) {
        throw fail(call, ScheduleError.HOLDS_INTRINSIC, precondition,
            "the kernel holds a matmul intrinsic, which code generation schedules itself");
      }
      if (x instanceof Stmt.BlockedConv) {
        throw fail(call, ScheduleError.HOLDS_INTRINSIC, precondition,
            "the kernel holds a blocked_conv intrinsic, which code generation schedules itself");
      }
    });
    return Loops.find(kernel.body(), name).orElseThrow(() -> fail(call, ScheduleError.UNKNOWN_LOOP,
        precondition, "there is no loop " + name + " (loops: "
            + String.join(", ", Loops.loopNames(kernel.body())) + ")"));
  }

  private void requireSerial(String call, Stmt.For loop, int precondition) {
    if (loop.kind() != LoopKind.SERIAL) {
      throw fail(call, ScheduleError.LOOP_NOT_SERIAL, precondition,
          "loop " + loop.var() + " is already " + loop.kind().name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  private void requireIndependent(String call, Loops.Found found, int localsPrecondition,
      int buffersPrecondition) {
    Stmt.For l = found.loop();
    Dependences.outerLocalsAssigned(l.body()).stream().findFirst().ifPresent(local -> {
      throw fail(call, ScheduleError.DEPENDENCE, localsPrecondition,
          "local " + local + " is assigned in one iteration of " + l.var() + " and used in the next");
    });
    Set<Var> fixed = new HashSet<>();
    found.enclosing().forEach(f -> fixed.add(f.var()));
    Map<Var, String> carried = Dependences.carried(l.body(), List.of(l.var()),
        Loops.extents(kernel.body()), fixed);
    if (!carried.isEmpty()) {
      throw fail(call, ScheduleError.DEPENDENCE, buffersPrecondition, carried.get(l.var()));
    }
  }

  ScheduleException fail(String call, ScheduleError kind, int precondition, String detail) {
    return new ScheduleException(kind, call + " in kernel " + kernel.name() + ": precondition "
        + precondition + ": " + detail, detail);
  }
}
