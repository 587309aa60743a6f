package dev.kiln.passes.lower.nn;

import static dev.kiln.ir.loop.Exprs.index;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.ops.nn.SlidingWindow;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import java.util.ArrayList;
import java.util.List;

/**
 * The 2-D window geometry of a blocked (NCHWc) convolution or pooling over
 * {@code [N, Cb, H, W, b]}: where tap {@code k} of output {@code o} reads, whether any tap falls
 * in the padding, and the bordered copy of the input that lets a nest read every tap without a
 * conditional, or the clipped nest that reads only the taps inside the input. Every nest here keeps the lane axis innermost, unit-stride in both the blocked
 * input and output, so the default schedule vectorizes it.
 */
final class NchwcWindow {
  final long[] in;
  final long[] out;
  final long[] kernel;
  final long[] strides;
  final long[] dilations;
  final long[] padBegin;
  final long[] padEnd;
  /** Whether some tap reads outside the input. */
  final boolean needsPadding;
  /** The bordered copy's extent along H and W: padBegin + everything the taps reach. */
  final long[] padded;

  NchwcWindow(long[] in, long[] out, long[] kernel, long[] strides, long[] dilations,
      long[] padBegin, long[] padEnd) {
    this.in = in;
    this.out = out;
    this.kernel = kernel;
    this.strides = strides;
    this.dilations = dilations;
    this.padBegin = padBegin;
    this.padEnd = padEnd;
    padded = new long[2];
    boolean pad = false;
    for (int a = 0; a < 2; a++) {
      long last = (out[a] - 1) * strides[a] - padBegin[a] + (kernel[a] - 1) * dilations[a];
      pad |= out[a] > 0 && (padBegin[a] > 0 || last >= in[a]);
      padded[a] = padBegin[a] + Math.max(in[a], last + 1);
    }
    needsPadding = pad;
  }

  static NchwcWindow of(NchwcConvOperands op) {
    return new NchwcWindow(new long[] {op.inHeight(), op.inWidth()},
        new long[] {op.outHeight(), op.outWidth()}, op.kernel(), op.strides(), op.dilations(),
        op.padBegin(), op.padEnd());
  }

  /** The window of a node's attributes (Conv's or a pooling's) over blocked input {@code x}. */
  static NchwcWindow of(Attributes attrs, Buffer x, long[] kernel, String what) {
    SlidingWindow window = SlidingWindow.fromAttributes(attrs, kernel, what);
    long[] in = {x.dim(2), x.dim(3)};
    SlidingWindow.Placement p = window.place(in, 2, "input 0 (X)");
    return new NchwcWindow(in, p.outputShape(), kernel.clone(),
        new long[] {window.stride(0), window.stride(1)},
        new long[] {window.dilation(0), window.dilation(1)}, p.padBegin(), p.padEnd());
  }

  long taps() {
    return kernel[0] * kernel[1];
  }

  /** The input coordinate along axis {@code a} of tap {@code k} of output {@code o}, plus {@code shift}. */
  Expr coordinate(int a, Expr o, Expr k, long shift) {
    return Exprs.add(Exprs.add(Exprs.mul(o, index(strides[a])), Exprs.mul(k, index(dilations[a]))),
        index(shift));
  }

  /** The coordinate in the unpadded input (may be outside it). */
  Expr inputCoordinate(int a, Expr o, Expr k) {
    return coordinate(a, o, k, -padBegin[a]);
  }

  /** Whether the tap is inside the input, or an empty list when the geometry keeps every tap inside. */
  List<Expr> inside(Expr oh, Expr ow, Expr kh, Expr kw) {
    List<Expr> conditions = new ArrayList<>();
    Expr[] o = {oh, ow};
    Expr[] k = {kh, kw};
    for (int a = 0; a < 2; a++) {
      long lo = -padBegin[a];
      long hi = (out[a] - 1) * strides[a] - padBegin[a] + (kernel[a] - 1) * dilations[a];
      if (out[a] > 0 && (lo < 0 || hi >= in[a])) {
        conditions.add(Nests.inRange(inputCoordinate(a, o[a], k[a]), in[a]));
      }
    }
    return conditions;
  }

  /**
   * Appends to {@code stmts} the copy of {@code x} bordered with {@code fill} (0 for
   * convolution, -inf for max pooling) and returns it: {@code [N, Cb, Hp, Wp, b]}, X at
   * {@code [n, cb, h + padTop, w + padLeft, l]}.
   */
  Buffer bordered(LoweringContext ctx, Buffer x, double fill, List<Stmt> stmts) {
    Buffer p = ctx.scratch("bordered", x.dtype(), x.dim(0), x.dim(1), padded[0], padded[1], x.dim(4));
    // Only the border is filled (rows above and below, then columns left and right of X): the
    // interior is X's copy.
    long[][] rows = {{0, padBegin[0]}, {padBegin[0] + in[0], padded[0]}};
    for (long[] r : rows) {
      fill(ctx, p, r[0], r[1], 0, padded[1], fill, stmts);
    }
    long[][] cols = {{0, padBegin[1]}, {padBegin[1] + in[1], padded[1]}};
    for (long[] c : cols) {
      fill(ctx, p, padBegin[0], padBegin[0] + in[0], c[0], c[1], fill, stmts);
    }
    List<Var> c = Nests.vars(ctx, "q", 5);
    List<Expr> to = List.of(c.get(0), c.get(1), Exprs.add(c.get(2), index(padBegin[0])),
        Exprs.add(c.get(3), index(padBegin[1])), c.get(4));
    stmts.add(Nests.nest(c, x.shapeArray(), Nests.store(p, to, Exprs.load(x, c))));
    return p;
  }

  /**
   * The bordered copy's buffer alone ({@link #bordered} fills it with separate nests), for
   * {@link #borderedPlane}, which fills one channel block's plane of it at a time.
   */
  Buffer borderedBuffer(LoweringContext ctx, Buffer x) {
    return ctx.scratch("bordered", x.dtype(), x.dim(0), x.dim(1), padded[0], padded[1], x.dim(4));
  }

  /**
   * The statements that make plane {@code [n, cb]} of the bordered copy {@code p} of {@code x}
   * in lane {@code l} (inside a channel block's lane loop of {@link #clippedRows}): the border rows
   * and columns set to {@code fill}, the interior copied from X. Run per block just before the
   * block's outputs are computed, the plane is written and read back while it is in L1, and the
   * copy needs no parallel loops of its own (the five nests of {@link #bordered} were five
   * parallel loops, each a fork and join on 2 threads, per depthwise layer).
   */
  List<Stmt> borderedPlane(LoweringContext ctx, Buffer x, Buffer p, Expr n, Expr cb, Var l, double fill) {
    List<Stmt> stmts = new ArrayList<>();
    Expr value = dev.kiln.passes.lower.Nests.constant(p.dtype(), fill);
    long[][] rows = {{0, padBegin[0]}, {padBegin[0] + in[0], padded[0]}};
    for (long[] r : rows) {
      planeFill(ctx, p, n, cb, l, r[0], r[1], 0, padded[1], value, stmts);
    }
    long[][] cols = {{0, padBegin[1]}, {padBegin[1] + in[1], padded[1]}};
    for (long[] c : cols) {
      planeFill(ctx, p, n, cb, l, padBegin[0], padBegin[0] + in[0], c[0], c[1], value, stmts);
    }
    Var h = ctx.var("h");
    Var w = ctx.var("w");
    stmts.add(Nests.loop(h, in[0], Nests.loop(w, in[1], Nests.store(p,
        List.of(n, cb, Exprs.add(h, index(padBegin[0])), Exprs.add(w, index(padBegin[1])), l),
        Exprs.load(x, n, cb, h, w, l)))));
    return stmts;
  }

  private static void planeFill(LoweringContext ctx, Buffer p, Expr n, Expr cb, Var l, long h0, long h1,
      long w0, long w1, Expr value, List<Stmt> stmts) {
    if (h1 <= h0 || w1 <= w0) {
      return;
    }
    Var h = ctx.var("h");
    Var w = ctx.var("w");
    stmts.add(Nests.loop(h, h1 - h0, Nests.loop(w, w1 - w0, Nests.store(p,
        List.of(n, cb, Exprs.add(h, index(h0)), Exprs.add(w, index(w0)), l), value))));
  }

  /**
   * Consecutive outputs {@code [begin, end)} along one axis whose taps inside the input are the
   * same, {@code [tapBegin, tapEnd)} (empty when every tap is in the padding).
   */
  record Run(long begin, long end, long tapBegin, long tapEnd) {
    long length() {
      return end - begin;
    }
  }

  /** The outputs along axis {@code a} grouped into runs of the same taps inside the input. */
  List<Run> runs(int a) {
    List<Run> runs = new ArrayList<>();
    for (long o = 0; o < out[a]; o++) {
      long base = o * strides[a] - padBegin[a];
      long k0 = Math.max(0, Math.ceilDiv(-base, dilations[a]));
      long k1 = Math.min(kernel[a], Math.floorDiv(in[a] - 1 - base, dilations[a]) + 1);
      if (k1 <= k0) {
        k0 = 0;
        k1 = 0;
      }
      Run last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
      if (last != null && last.tapBegin == k0 && last.tapEnd == k1) {
        runs.set(runs.size() - 1, new Run(last.begin, o + 1, k0, k1));
      } else {
        runs.add(new Run(o, o + 1, k0, k1));
      }
    }
    return runs;
  }

  /**
   * What a window computes per output {@code at = [n, cb, oh, ow, l]}: a fold over the taps inside
   * the input, {@code finish(tap(...tap(init)))}.
   */
  interface Taps {
    Expr init(List<Expr> at);

    /** The accumulator after tap {@code (kh, kw)}, which reads the input at {@code (ih, iw)}. */
    Expr tap(List<Expr> at, Expr ih, Expr iw, Expr kh, Expr kw, Expr acc);

    Expr finish(List<Expr> at, Expr acc);
  }

  /**
   * The nest over blocked {@code y} that reads only the taps inside the input, so it needs
   * neither a bordered copy nor its extra pass over the input: ONE parallel loop over the channel
   * blocks {@code (n, cb)} (each thread a contiguous range of whole output planes), and in it the
   * lane loop, vectorized, around the row loops (outer-loop vectorization): every load that
   * depends on the block and lane only (the weights, the bias) is a vector local read once per
   * block. In it, the interior (the longest run of rows whose vertical taps are all inside the
   * input, and there the widest run of columns with the same horizontal taps) spells the fold of
   * its taps per output; with {@code unroll > 1}, that many neighbouring outputs per iteration,
   * every distinct load a local read by all of them (when {@code mayRecompute}, a remainder is
   * covered by shifting the last group back: it recomputes and stores again a few outputs, valid
   * only when nothing the fold reads aliases y). The border (rows above and below the interior,
   * one loop over both; columns left and right of it, one loop over both) takes a small generic
   * path: an accumulator from init, per tap an {@code if} it is inside the input and an update
   * (coordinates clamped, which the {@code if} makes exact, so the interval analysis proves every
   * load in range), then finish and one store. The method stays small, whatever the window:
   * spelling the border's clipped taps tripled it, and then C1 could not compile it and it ran
   * interpreted until C2 did.
   */
  Stmt clippedRows(LoweringContext ctx, Buffer y, int unroll, boolean mayRecompute, Taps taps) {
    return clippedRows(ctx, y, unroll, mayRecompute, taps, (n, cb, l) -> List.of());
  }

  /** What a channel block's lane loop runs before its outputs (e.g. {@link #borderedPlane}). */
  interface BlockPrologue {
    List<Stmt> at(Expr n, Expr cb, Var l);
  }

  /** {@link #clippedRows(LoweringContext, Buffer, int, boolean, Taps)} with a per-block prologue. */
  Stmt clippedRows(LoweringContext ctx, Buffer y, int unroll, boolean mayRecompute, Taps taps,
      BlockPrologue prologue) {
    for (int u = unroll; u > 1; u /= 2) {
      Stmt nest = clippedRowsUnrolled(ctx, y, u, mayRecompute, taps, prologue);
      if (spelledLoads(nest) <= MAX_SPELLED_LOADS) {
        return nest;
      }
    }
    return clippedRowsUnrolled(ctx, y, 1, mayRecompute, taps, prologue);
  }

  /**
   * The most loads a clipped nest spells (fewer outputs per iteration until it fits): the whole
   * nest is one method (the parallel loop's lambda), and HotSpot does not compile methods of more
   * than 8000 bytes of bytecode at all (a vectorized loop's scalar tail doubles it: 82 loads made
   * 10 KB, which ran interpreted, 50x slower); C1 gives up on it earlier ("out of virtual
   * registers"), so it runs interpreted until C2 compiles it.
   */
  static final int MAX_SPELLED_LOADS = 56;

  /** The loads of {@code s}, innermost serial loops of up to 4 iterations (which the default schedule unrolls) counted per iteration. */
  private static int spelledLoads(Stmt s) {
    return switch (s) {
      case Stmt.For f when f.kind() == LoopKind.SERIAL && f.extent() <= 4 && !containsLoop(f.body()) ->
          (int) f.extent() * loads(f.body());
      case Stmt.For f -> spelledLoads(f.body());
      case Stmt.Block b -> b.stmts().stream().mapToInt(NchwcWindow::spelledLoads).sum();
      case Stmt.If i -> spelledLoads(i.then()) + i.otherwise().map(NchwcWindow::spelledLoads).orElse(0);
      default -> loads(s);
    };
  }

  private static boolean containsLoop(Stmt s) {
    return switch (s) {
      case Stmt.For f -> true;
      case Stmt.Block b -> b.stmts().stream().anyMatch(NchwcWindow::containsLoop);
      case Stmt.If i -> containsLoop(i.then()) || i.otherwise().map(NchwcWindow::containsLoop).orElse(false);
      default -> false;
    };
  }

  /**
   * {@link #clippedRows} split by output rows instead of channel blocks: ONE parallel loop over
   * bands of the interior's rows ({@link #bandRows}), and in each band every channel block (lane
   * loop, weights hoisted per band and block), its rows, every run of columns spelled with its
   * own taps; the border rows above the interior by the first band, those below by the last, by
   * the generic path. A thread then computes a contiguous share of every plane's rows, the same
   * share of the pixels a pointwise convolution before or after it gives that thread, so the
   * input it reads is the one it wrote (in its own cache) and its outputs are the ones it reads
   * next. Split by channel blocks, half of each plane came from the other processor's cache: on
   * this machine such a read runs at a quarter of the speed of one from the processor's own L2
   * (25-30 against 100 GB/s; writing lines the other processor wrote last, 30-35 against 150).
   */
  Stmt clippedRowsByRow(LoweringContext ctx, Buffer y, int unroll, boolean mayRecompute, Taps taps) {
    for (int u = unroll; u > 1; u /= 2) {
      Stmt nest = clippedRowsByRowUnrolled(ctx, y, u, mayRecompute, taps);
      if (spelledLoads(nest) <= MAX_SPELLED_LOADS) {
        return nest;
      }
    }
    return clippedRowsByRowUnrolled(ctx, y, 1, mayRecompute, taps);
  }

  private Stmt clippedRowsByRowUnrolled(LoweringContext ctx, Buffer y, int unroll, boolean mayRecompute,
      Taps taps) {
    Var band = ctx.var("band");
    Var block = ctx.var("block");
    Var l = ctx.var("l");
    List<Expr> nc = Nests.unflatten(block, new long[] {y.dim(0), y.dim(1)});
    Expr n = nc.get(0);
    Expr cb = nc.get(1);
    Hoisted hoisted = new Hoisted(ctx, java.util.Set.of(block, l), y);
    Run interior = interiorRows();
    List<Stmt> lane = new ArrayList<>();
    long bands;
    if (interior == null) {
      // No row sees every vertical tap (an image smaller than the window): a band per row, each
      // by the generic path.
      bands = out[0];
      Var j = ctx.var("ow");
      lane.add(Nests.loop(j, out[1], generic(ctx, y, n, cb, band, j, l, hoisted, taps)));
    } else {
      // The interior rows in equal bands; the border rows above it go with the first band and
      // those below with the last (each a thread's own rows), so no row of the interior's loop
      // asks whether it is a border row.
      long rows = bandRows(interior.length());
      bands = interior.length() / rows;
      Var inBand = ctx.var("r");
      Expr first = rows == 1 ? band : Exprs.mul(band, index(rows));
      Expr oh = Exprs.add(first, rows == 1 ? index(interior.begin) : Exprs.add(inBand, index(interior.begin)));
      // Every run of columns spelled with its own taps (the widest several outputs an
      // iteration, the others one), not the generic path: at 7² the two side columns are 2 of
      // 7 outputs of every row.
      List<Run> colRuns = runs(1);
      Run widest = colRuns.stream().max(java.util.Comparator.comparingLong(Run::length)).orElseThrow();
      List<Stmt> segments = new ArrayList<>();
      for (Run c : colRuns) {
        if (c == widest) {
          segments.addAll(columns(ctx, y, n, cb, oh, l, interior, c, outputsPerIteration(c.length(), unroll),
              mayRecompute, hoisted, taps));
        } else if (c.tapEnd > c.tapBegin) {
          segments.addAll(columns(ctx, y, n, cb, oh, l, interior, c, 1, false, hoisted, taps));
        } else {
          Var k = ctx.var("ow");
          segments.add(Nests.loop(k, c.length(),
              generic(ctx, y, n, cb, oh, Exprs.add(k, index(c.begin)), l, hoisted, taps)));
        }
      }
      if (interior.begin > 0) {
        lane.add(Stmt.If.of(Nests.eq(band, index(0)), borderRows(ctx, y, n, cb, l, 0, interior.begin, hoisted, taps)));
      }
      lane.add(rows == 1 ? Stmt.Block.of(segments) : Nests.loop(inBand, rows, Stmt.Block.of(segments)));
      if (interior.end < out[0]) {
        lane.add(Stmt.If.of(Nests.eq(band, index(bands - 1)),
            borderRows(ctx, y, n, cb, l, interior.end, out[0], hoisted, taps)));
      }
    }
    List<Stmt> body = new ArrayList<>(hoisted.lets);
    body.addAll(lane);
    return new Stmt.For(band, bands, LoopKind.PARALLEL, new Stmt.For(block, y.dim(0) * y.dim(1),
        LoopKind.SERIAL, new Stmt.For(l, y.dim(4), LoopKind.VECTORIZED, Stmt.Block.of(body))));
  }

  /** The longest run of output rows that sees every vertical tap (the first of equals), or null. */
  private Run interiorRows() {
    Run interior = null;
    for (Run r : runs(0)) {
      if (r.tapBegin == 0 && r.tapEnd == kernel[0] && (interior == null || r.length() > interior.length())) {
        interior = r;
      }
    }
    return interior;
  }

  /** Output rows {@code [from, to)}, every column, by the generic path. */
  private Stmt borderRows(LoweringContext ctx, Buffer y, Expr n, Expr cb, Var l, long from, long to,
      Hoisted hoisted, Taps taps) {
    Var e = ctx.var("oh");
    Var j = ctx.var("ow");
    return Nests.loop(e, to - from, Nests.loop(j, out[1],
        generic(ctx, y, n, cb, Exprs.add(e, index(from)), j, l, hoisted, taps)));
  }

  /**
   * Rows per band of {@link #clippedRowsByRow}: the largest divisor of the interior's
   * {@code height} that leaves at least 8 bands (6 of 54, 2 of 26, 1 of 12), so that a block's
   * input rows are read from L1 by the band's next rows and the threads still get equal shares.
   */
  static long bandRows(long height) {
    for (long rows = height / 8; rows > 1; rows--) {
      if (height % rows == 0) {
        return rows;
      }
    }
    return 1;
  }

  private Stmt clippedRowsUnrolled(LoweringContext ctx, Buffer y, int unroll, boolean mayRecompute,
      Taps taps, BlockPrologue prologue) {
    Var block = ctx.var("block");
    Var l = ctx.var("l");
    List<Expr> nc = Nests.unflatten(block, new long[] {y.dim(0), y.dim(1)});
    Expr n = nc.get(0);
    Expr cb = nc.get(1);
    // Loads that depend on the channel block and lane only (weights, bias): one local each at the
    // top of the lane loop, read by every output of the block.
    Hoisted hoisted = new Hoisted(ctx, java.util.Set.of(block, l), y);
    Run interior = interiorRows();
    long oh0 = interior == null ? 0 : interior.begin;
    long oh1 = interior == null ? 0 : interior.end;
    long kh0 = interior == null ? 0 : interior.tapBegin;
    long kh1 = interior == null ? 0 : interior.tapEnd;
    List<Run> colRuns = runs(1);
    Run widest = colRuns.stream().max(java.util.Comparator.comparingLong(Run::length)).orElseThrow();
    List<Stmt> parts = new ArrayList<>();
    // Border rows above and below the interior, one loop over both (row e is e past the
    // interior's first row oh0): every column by the generic path.
    long border = oh0 + out[0] - oh1;
    if (border > 0) {
      Var e = ctx.var("oh");
      Var j = ctx.var("ow");
      Expr oh = skip(e, oh0, oh1, out[0]);
      parts.add(Nests.loop(e, border, Nests.loop(j, out[1], generic(ctx, y, n, cb, oh, j, l, hoisted, taps))));
    }
    if (oh1 > oh0) {
      Var i = ctx.var("oh");
      Expr oh = Exprs.add(i, index(oh0));
      List<Stmt> segments = new ArrayList<>();
      int u = outputsPerIteration(widest.length(), unroll);
      segments.addAll(columns(ctx, y, n, cb, oh, l, new Run(oh0, oh1, kh0, kh1), widest, u,
          mayRecompute, hoisted, taps));
      long sides = out[1] - widest.length();
      if (sides > 0) {
        // The columns left and right of the widest run, one loop over both.
        Var j = ctx.var("ow");
        segments.add(Nests.loop(j, sides,
            generic(ctx, y, n, cb, oh, skip(j, widest.begin, widest.end, out[1]), l, hoisted, taps)));
      }
      parts.add(Nests.loop(i, oh1 - oh0, Stmt.Block.of(segments)));
    }
    List<Stmt> lane = new ArrayList<>(prologue.at(n, cb, l));
    lane.addAll(hoisted.lets);
    lane.addAll(parts);
    // The lane loop outside the row loops (outer-loop vectorization): the hoisted values stay in
    // vector registers for the whole block.
    return new Stmt.For(block, y.dim(0) * y.dim(1), LoopKind.PARALLEL,
        new Stmt.For(l, y.dim(4), LoopKind.VECTORIZED, Stmt.Block.of(lane)));
  }

  /**
   * The f32 loads of a channel block's lane loop that depend on nothing but {@code vars} (the
   * block and lane), each replaced by a local declared once in {@link #lets}; loads of {@code y}
   * (stored in the loop) stay where they are.
   */
  private static final class Hoisted {
    final LoweringContext ctx;
    final java.util.Set<Var> vars;
    final Buffer stored;
    final java.util.Map<Expr, dev.kiln.ir.loop.Local> locals = new java.util.HashMap<>();
    final List<Stmt> lets = new ArrayList<>();

    Hoisted(LoweringContext ctx, java.util.Set<Var> vars, Buffer stored) {
      this.ctx = ctx;
      this.vars = vars;
      this.stored = stored;
    }

    Expr apply(Expr e) {
      return switch (e) {
        case Expr.Load load when load.type() == dev.kiln.ir.type.DType.F32 && !load.buffer().equals(stored)
            && load.indices().stream().allMatch(this::only) -> locals.computeIfAbsent(load, k -> {
              dev.kiln.ir.loop.Local v = ctx.local("w", k.type());
              lets.add(new Stmt.Let(v, k));
              return v;
            });
        case Expr.Binary b -> new Expr.Binary(b.op(), apply(b.lhs()), apply(b.rhs()));
        case Expr.Unary un -> new Expr.Unary(un.op(), apply(un.operand()));
        case Expr.Call call -> new Expr.Call(call.fn(), com.google.common.collect.ImmutableList.copyOf(
            call.args().stream().map(this::apply).toList()));
        case Expr.Select sel -> new Expr.Select(apply(sel.condition()), apply(sel.ifTrue()),
            apply(sel.ifFalse()));
        default -> e;
      };
    }

    /** Whether {@code e} mentions no variable but {@link #vars}. */
    private boolean only(Expr e) {
      return switch (e) {
        case Var v -> vars.contains(v);
        case Expr.Load load -> load.indices().stream().allMatch(this::only);
        case Expr.Binary b -> only(b.lhs()) && only(b.rhs());
        case Expr.Unary un -> only(un.operand());
        case Expr.Call call -> call.args().stream().allMatch(this::only);
        case Expr.Cast c -> only(c.operand());
        case Expr.Select sel -> only(sel.condition()) && only(sel.ifTrue()) && only(sel.ifFalse());
        case dev.kiln.ir.loop.Local loc -> false;
        default -> true;
      };
    }
  }

  /**
   * The {@code e}-th index of {@code [0, size)} outside {@code [begin, end)}: {@code e} below
   * begin, else {@code e + end - begin}, in a form the interval analysis bounds.
   */
  private static Expr skip(Expr e, long begin, long end, long size) {
    if (end <= begin || end >= size) {
      return e;
    }
    if (begin == 0) {
      return Exprs.add(e, index(end));
    }
    return Exprs.add(e, Exprs.mul(Nests.min(Nests.max(Exprs.add(e, index(1 - begin)), index(0)),
        index(1)), index(end - begin)));
  }

  /**
   * One output by the generic path, in lane {@code l}: an accumulator from init, updated by each
   * tap inside the input, then finish and the one store.
   */
  private Stmt generic(LoweringContext ctx, Buffer y, Expr n, Expr cb, Expr oh, Expr ow, Var l,
      Hoisted hoisted, Taps taps) {
    List<Expr> at = List.of(n, cb, oh, ow, l);
    Var kh = ctx.var("kh");
    Var kw = ctx.var("kw");
    Expr ih = inputCoordinate(0, oh, kh);
    Expr iw = inputCoordinate(1, ow, kw);
    dev.kiln.ir.loop.Local acc = ctx.local("acc", y.dtype());
    Stmt update = new Stmt.Assign(acc,
        hoisted.apply(taps.tap(at, clamp(ih, in[0]), clamp(iw, in[1]), kh, kw, acc)));
    return Stmt.Block.of(
        new Stmt.Let(acc, hoisted.apply(taps.init(at))),
        Nests.nest(List.of(kh, kw), kernel, Stmt.If.of(
            Exprs.and(Nests.inRange(ih, in[0]), Nests.inRange(iw, in[1])), update)),
        Nests.store(y, at, hoisted.apply(taps.finish(at, acc))));
  }

  private static Expr clamp(Expr i, long size) {
    return Nests.min(Nests.max(i, index(0)), index(size - 1));
  }

  /** The loops over one run of columns {@code c} of row run {@code r}, {@code u} outputs an iteration. */
  private List<Stmt> columns(LoweringContext ctx, Buffer y, Expr n, Expr cb, Expr oh, Var l, Run r,
      Run c, int u, boolean mayRecompute, Hoisted hoisted, Taps taps) {
    long groups = u == 1 ? c.length() : mayRecompute ? Math.ceilDiv(c.length(), u) : c.length() / u;
    Var j = ctx.var("ow");
    // Output column c.begin + base + k reads input column base * s + (c.begin + k) * s + kw * d
    // - padLeft: one expression per distinct column, so that the loads of neighbours coincide.
    Expr base = Exprs.mul(j, index(u));
    if (groups * u > c.length()) {
      base = Nests.min(base, index(c.length() - u));
    }
    List<Stmt> lets = new ArrayList<>();
    List<Stmt> stores = new ArrayList<>();
    // With several outputs, every distinct load is a local read by all of them: spelled once.
    java.util.Map<Expr, dev.kiln.ir.loop.Local> shared = new java.util.HashMap<>();
    for (int k = 0; k < u; k++) {
      List<Expr> at = List.of(n, cb, oh, Exprs.add(base, index(c.begin + k)), l);
      Expr v = taps.init(at);
      for (long kh = r.tapBegin; kh < r.tapEnd; kh++) {
        for (long kw = c.tapBegin; kw < c.tapEnd; kw++) {
          Expr iw = Exprs.add(Exprs.mul(base, index(strides[1])),
              index((c.begin + k) * strides[1] + kw * dilations[1] - padBegin[1]));
          v = taps.tap(at, inputCoordinate(0, oh, index(kh)), iw, index(kh), index(kw), v);
        }
      }
      v = hoisted.apply(taps.finish(at, v));
      if (u == 1) {
        stores.add(Nests.store(y, at, v));
      } else {
        dev.kiln.ir.loop.Local acc = ctx.local("out", y.dtype());
        v = share(ctx, v, shared, lets);
        lets.add(new Stmt.Let(acc, v));
        stores.add(Nests.store(y, at, acc));
      }
    }
    lets.addAll(stores);
    List<Stmt> loops = new ArrayList<>();
    loops.add(new Stmt.For(j, groups, LoopKind.SERIAL, Stmt.Block.of(lets)));
    long done = groups * u;
    if (done < c.length()) {
      loops.addAll(columns(ctx, y, n, cb, oh, l, r,
          new Run(c.begin + done, c.end, c.tapBegin, c.tapEnd), 1, false, hoisted, taps));
    }
    return loops;
  }

  /**
   * Outputs of an interior run of {@code width} columns computed per iteration: {@code unroll}
   * when the run holds two groups of them; a narrower run (7 columns at 7², 6 at a stride-2 7²)
   * as one group of its whole width when {@code unroll > 1} (every distinct load of the row read
   * once: 27 loads for 7 outputs of a 3x3 window instead of 63), or with
   * {@code -Dkiln.nchwc.wholeRow=false} one output at a time (A/B). {@link #clippedRows} retries
   * with a smaller {@code unroll} when the spelled loads exceed {@link #MAX_SPELLED_LOADS}.
   */
  static int outputsPerIteration(long width, int unroll) {
    if (width >= 2L * unroll) {
      return unroll;
    }
    return unroll > 1 && width >= 2 && wholeRow() ? (int) width : 1;
  }

  private static boolean wholeRow() {
    return !"false".equals(System.getProperty("kiln.nchwc.wholeRow"));
  }

  /** {@code e} with each f32 load replaced by a local, declared in {@code lets} on its first use. */
  private static Expr share(LoweringContext ctx, Expr e, java.util.Map<Expr, dev.kiln.ir.loop.Local> shared,
      List<Stmt> lets) {
    return switch (e) {
      case Expr.Load load when load.type() == dev.kiln.ir.type.DType.F32 -> shared.computeIfAbsent(load, k -> {
        dev.kiln.ir.loop.Local v = ctx.local("v", k.type());
        lets.add(new Stmt.Let(v, k));
        return v;
      });
      case Expr.Binary b -> new Expr.Binary(b.op(), share(ctx, b.lhs(), shared, lets),
          share(ctx, b.rhs(), shared, lets));
      case Expr.Unary un -> new Expr.Unary(un.op(), share(ctx, un.operand(), shared, lets));
      case Expr.Call call -> new Expr.Call(call.fn(), com.google.common.collect.ImmutableList.copyOf(
          call.args().stream().map(a -> share(ctx, a, shared, lets)).toList()));
      case Expr.Select sel -> new Expr.Select(share(ctx, sel.condition(), shared, lets),
          share(ctx, sel.ifTrue(), shared, lets), share(ctx, sel.ifFalse(), shared, lets));
      default -> e;
    };
  }

  /** The loads spelled in {@code s}. */
  private static int loads(Stmt s) {
    return switch (s) {
      case Stmt.For f -> loads(f.body());
      case Stmt.Block b -> b.stmts().stream().mapToInt(NchwcWindow::loads).sum();
      case Stmt.If i -> loads(i.then()) + i.otherwise().map(NchwcWindow::loads).orElse(0);
      case Stmt.Let let -> loads(let.init());
      case Stmt.Store store -> loads(store.value());
      default -> 0;
    };
  }

  private static int loads(Expr e) {
    return switch (e) {
      case Expr.Load load -> 1;
      case Expr.Binary b -> loads(b.lhs()) + loads(b.rhs());
      case Expr.Unary u -> loads(u.operand());
      case Expr.Call c -> c.args().stream().mapToInt(NchwcWindow::loads).sum();
      case Expr.Select sel -> loads(sel.condition()) + loads(sel.ifTrue()) + loads(sel.ifFalse());
      case Expr.Cast c -> loads(c.operand());
      default -> 0;
    };
  }

  /** Appends {@code p[n, cb, h, w, l] = value} for h in [h0, h1), w in [w0, w1), if not empty. */
  private static void fill(LoweringContext ctx, Buffer p, long h0, long h1, long w0, long w1,
      double value, List<Stmt> stmts) {
    if (h1 <= h0 || w1 <= w0) {
      return;
    }
    List<Var> f = Nests.vars(ctx, "p", 5);
    List<Expr> at = List.of(f.get(0), f.get(1), Exprs.add(f.get(2), index(h0)),
        Exprs.add(f.get(3), index(w0)), f.get(4));
    stmts.add(Nests.nest(f, new long[] {p.dim(0), p.dim(1), h1 - h0, w1 - w0, p.dim(4)},
        Nests.store(p, at, Exprs.constant(p.dtype(), value))));
  }
}
