package dev.kiln.passes.lower.nn;

import static dev.kiln.ir.loop.Exprs.index;

import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopKind;
import dev.kiln.ir.loop.MatrixOperand;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.LoweringContext;
import dev.kiln.passes.lower.Nests;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Winograd's F(m x m, 3 x 3) ({@link WinogradConv} has the algebra and the error bound) on the
 * blocked layout NCHWc: 3x3, stride 1, dilation 1, dense f32 convolutions with constant finite
 * weights. The 16 lanes of a channel block are 16 channels, so every transform is a vector
 * operation on whole lanes without gathers.
 *
 * <p>The output tiles (row-major over images, tile rows, tile columns) are processed a chunk of
 * {@code TB} tiles at a time (by default one chunk of all tiles, see {@link #tilesPerChunk});
 * chunks run in parallel, each with its own slice of the scratch buffers:
 * <ol>
 *   <li>the input copied into a zero-bordered plane {@code P[n, cb, TH * m + 2, TW * m + 2, b]}
 *       (every tile reads inside it, no conditional): with one chunk, a parallel loop over channel
 *       blocks just before the input transform (or, with the transform split by blocks, inside
 *       its iterations), else once before the chunks;
 *   <li>the input transform {@code V = B^T d B} of each tile and channel block, separably through
 *       a per-tile row stage {@code E}, into {@code V[slot, pos, tile, c]} (row-major per
 *       position: tiles by channels, a GEMM operand as it is); a parallel loop over ranges of
 *       tiles ({@link #transformByTiles});
 *   <li>per transform position {@code pos}, one generated GEMM
 *       {@code M[pos] (tiles x Mp) = V[pos] (tiles x C) * U[pos] (C x Mp)}, U the weights
 *       transformed at compile time, {@code Mp} = M rounded up to the block, with zero columns
 *       past M (so the pad lanes of the products are 0); U's offsets are constants, so code
 *       generation packs U into GEMM panels at compile time. A parallel loop over groups of
 *       positions (or, for A/B, over two groups of output columns together with the output
 *       transform: {@link #columnGroups});
 *   <li>the output transform {@code A^T M A}, separably, with bias, residual and activation,
 *       stored into Y's blocks; a tile crossing the bottom or right edge stores only its outputs
 *       inside Y.
 * </ol>
 */
public final class NchwcWinogradConv {
  private NchwcWinogradConv() {}

  /**
   * The system property overriding the tiles per chunk (for tuning: {@code
   * -Dkiln.winograd.tiles=32}); without it {@link #tilesPerChunk} chooses.
   */
  public static final String TILES_PROPERTY = "kiln.winograd.tiles";


  /** 3x3, stride 1, dilation 1, dense f32 with constant finite weights (and what NchwcDirectConv needs). */
  public static boolean supports(NchwcConvOperands op) {
    // An NCHW input (the first convolution of an image network, C < b) has no lane axis for the
    // input transform to vectorize over; the direct kernel reads it as it is.
    if (!NchwcDirectConv.supports(op) || op.nchwInput() || op.kernel()[0] != 3 || op.kernel()[1] != 3) {
      return false;
    }
    for (int a = 0; a < 2; a++) {
      if (op.strides()[a] != 1 || op.dilations()[a] != 1 || op.padBegin()[a] < 0 || op.padEnd()[a] < 0) {
        return false;
      }
    }
    if (!NchwcPacking.constantAndFinite(op.constantWeights()) || op.y().size() == 0 || op.x().size() == 0) {
      return false;
    }
    // Every scratch buffer indexable by an int.
    Plan p = Plan.of(op, WinogradConv.Tile.F4);
    return p.padded() < Integer.MAX_VALUE && p.chunkFloats() * p.slots() < Integer.MAX_VALUE
        && (double) p.positions() * op.channels() * p.outPadded() < Integer.MAX_VALUE;
  }

  /**
   * The tile geometry of one convolution.
   *
   * @param tilesHigh TH, tile rows per image
   * @param tilesWide TW, tiles per tile row
   * @param tiles all tiles, N * TH * TW
   * @param perChunk TB, tiles per chunk
   */
  record Plan(WinogradConv.Tile tile, NchwcConvOperands op, long tilesHigh, long tilesWide, long tiles,
      long perChunk) {
    static Plan of(NchwcConvOperands op, WinogradConv.Tile tile) {
      long th = Math.ceilDiv(op.outHeight(), tile.m);
      long tw = Math.ceilDiv(op.outWidth(), tile.m);
      long tiles = op.batch() * th * tw;
      return new Plan(tile, op, th, tw, tiles, tilesPerChunk(op, tile, tiles));
    }

    int m() {
      return tile.m;
    }

    int alpha() {
      return tile.alpha();
    }

    long positions() {
      return (long) alpha() * alpha();
    }

    long inPadded() {
      return x().dim(1) * op.block();
    }

    long outPadded() {
      return op.y().dim(1) * op.block();
    }

    Buffer x() {
      return op.x();
    }

    long paddedHeight() {
      return tilesHigh * tile.m + 2;
    }

    long paddedWidth() {
      return tilesWide * tile.m + 2;
    }

    /** Elements of the zero-bordered input. */
    double padded() {
      return (double) op.batch() * x().dim(1) * paddedHeight() * paddedWidth() * op.block();
    }

    long fullChunks() {
      return tiles / perChunk;
    }

    long rest() {
      return tiles % perChunk;
    }

    /** Scratch slices: one per chunk that may run at once. */
    long slots() {
      return Math.max(1, fullChunks());
    }

    /** Whether tiles cross Y's bottom or right edge. */
    boolean ragged() {
      return op.outHeight() % tile.m != 0 || op.outWidth() % tile.m != 0;
    }

    long chunkFloats() {
      return positions() * perChunk * (inPadded() + outPadded());
    }
  }

  /**
   * Tiles per chunk: all of them unless {@link #TILES_PROPERTY} says otherwise. Chunks small
   * enough for a core's L2 (96 Ki floats of V and M, 8 to 16 tiles) were tried first and lost in
   * the network: every chunk streams all of U (the transformed weights, 0.6 to 9 Mi floats) again,
   * and on 2 threads both cores stream it at once. ResNet-18, `kiln bench resnet18.onnx -O3`,
   * session 4, load average 1 to 2, same build: 28.6 ms per run on 1 thread with chunks against
   * 21.0 in one chunk (the 3x3 layers at 56² 1.8 to 1.1 ms), and on 2 threads 25 to 30 against
   * 20 ms. In one chunk the transforms and the per-position GEMMs are the parallel loops.
   */
  static long tilesPerChunk(NchwcConvOperands op, WinogradConv.Tile tile, long tiles) {
    String forced = System.getProperty(TILES_PROPERTY, "").trim();
    if (!forced.isEmpty()) {
      long t;
      try {
        t = Long.parseLong(forced);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("-D" + TILES_PROPERTY + "=" + forced + " is not a number of tiles", e);
      }
      if (t < 1) {
        throw new IllegalArgumentException("-D" + TILES_PROPERTY + "=" + forced + " must be at least 1");
      }
      return Math.min(t, tiles);
    }
    return tiles;
  }

  /** The kernel, with the tile {@link ConvCostModel#nchwcTile} picks. */
  public static Stmt lower(LoweringContext ctx, NchwcConvOperands op) {
    return lower(ctx, op, ConvCostModel.nchwcTile(op));
  }

  /** The kernel of the class comment with {@code tile}. */
  public static Stmt lower(LoweringContext ctx, NchwcConvOperands op, WinogradConv.Tile tile) {
    if (!supports(op)) {
      throw new IllegalArgumentException("NchwcWinogradConv takes 3x3 stride-1 dense f32 convolutions with "
          + "constant finite weights, got weights " + op.w() + " strides " + java.util.Arrays.toString(op.strides())
          + " dilations " + java.util.Arrays.toString(op.dilations()));
    }
    Plan p = Plan.of(op, tile);
    List<Stmt> stmts = new ArrayList<>();
    Optional<Buffer> bias = NchwcPacking.bias(ctx, op, stmts);
    Buffer u = ctx.constant("u", weights(op.constantWeights().get(), tile, p.outPadded()));
    Buffer padded = ctx.scratch("bordered", DType.F32, op.batch(), p.x().dim(1), p.paddedHeight(),
        p.paddedWidth(), op.block());
    boolean planePerBlock = borderPerBlock() && p.perChunk() == p.tiles();
    if (!planePerBlock) {
      border(ctx, op, p, padded, stmts);
    }
    Scratch s = new Scratch(
        padded, u, bias,
        ctx.scratch("rows", DType.F32, p.slots(), rowsRegions(p), p.alpha(), p.alpha(), op.block()),
        ctx.scratch("v", DType.F32, p.slots(), p.positions(), p.perChunk(), p.inPadded()),
        ctx.scratch("m", DType.F32, p.slots(), p.positions(), p.perChunk(), p.outPadded()),
        ctx.scratch("cols", DType.F32, p.slots(), op.y().dim(1), p.m(), p.alpha(), op.block()),
        p.ragged()
            ? Optional.of(ctx.scratch("edge", DType.F32, p.slots(), op.y().dim(1), p.m(), p.m(), op.block()))
            : Optional.empty(),
        planePerBlock);
    if (p.fullChunks() > 0) {
      Var chunk = ctx.var("chunk");
      stmts.add(new Stmt.For(chunk, p.fullChunks(), LoopKind.PARALLEL,
          chunk(ctx, p, s, chunk, Exprs.mul(chunk, index(p.perChunk())), p.perChunk())));
    }
    if (p.rest() > 0) {
      // The last, smaller chunk, in slot 0 (after the others). A parallel loop of one iteration
      // runs on the caller, but is a method of its own (small methods are JIT-compiled).
      Var last = ctx.var("last");
      stmts.add(new Stmt.For(last, 1, LoopKind.PARALLEL,
          chunk(ctx, p, s, last, index(p.fullChunks() * p.perChunk()), p.rest())));
    }
    return NchwcPacking.block(stmts);
  }

  /** The buffers of the kernel. */
  private record Scratch(Buffer padded, Buffer u, Optional<Buffer> bias, Buffer rows, Buffer v, Buffer m,
      Buffer cols, Optional<Buffer> edge, boolean planePerBlock) {}

  /**
   * Whether the bordered copy of X is made per channel block inside the input transform's
   * parallel loop (when one chunk holds all tiles): {@code -Dkiln.winograd.borderPerBlock=false}
   * for A/B makes it the five nests of its own before the chunks (four border fills and the
   * copy, each a parallel loop).
   */
  static boolean borderPerBlock() {
    return !"false".equals(System.getProperty(BORDER_PER_BLOCK_PROPERTY));
  }

  /** The system property of {@link #borderPerBlock}. */
  public static final String BORDER_PER_BLOCK_PROPERTY = "kiln.winograd.borderPerBlock";

  /**
   * The system property choosing how the GEMMs are split between threads: {@code positions} (the
   * default) or {@code columns} (A/B), see {@link #columnGroups}.
   */
  public static final String SPLIT_PROPERTY = "kiln.winograd.split";

  /**
   * Output column groups of the products: 1 (the GEMMs split over groups of positions, the
   * output transform over output blocks: the default), or with {@link #SPLIT_PROPERTY} {@code
   * columns} 2 when Y has an even number of channel blocks. With two groups each iteration of
   * one parallel loop runs every position's GEMM for its half of the output channels and then
   * the output transform of those channels' blocks (one fork and join instead of two).
   *
   * <p>Why positions is the default: with column groups the two threads write the two halves of
   * every row of M (a row is 64 to 256 floats, and a float[]'s start is only 8-byte aligned, so
   * the halves share a cache line in most processes), and each GEMM reads all of V, written by
   * both cores in the input transform. On 2 threads that made the 64@56² layer 1.12 to 1.32 ms
   * against 0.88 to 0.90 split by positions (3 alternating pairs of processes, `kiln bench
   * conv_r18_conv2_3x3_64x56.onnx --threads 2`), and ResNet-18 14.5 to 16.2 ms against 12.4 to
   * 12.6 (session 8); on 1 thread the two are the same within noise.
   */
  static long columnGroups(Plan p) {
    String split = System.getProperty(SPLIT_PROPERTY, "positions").trim();
    if (!split.equals("columns") && !split.equals("positions")) {
      throw new IllegalArgumentException("-D" + SPLIT_PROPERTY + "=" + split + " is not columns or positions");
    }
    long blocks = p.op().y().dim(1);
    return split.equals("columns") && blocks >= 2 && blocks % 2 == 0 ? 2 : 1;
  }

  /**
   * {@code U[pos, c, o] = (G w[o, c] G^T)[pos]} for {@code o < M}, 0 for {@code M <= o < Mp}: per
   * position the GEMM's B operand (C x Mp), in double, rounded once to f32.
   */
  static Tensor weights(Tensor w, WinogradConv.Tile tile, long outPadded) {
    Tensor byOutput = WinogradConv.weights(w, tile); // [a^2, M, C]
    long positions = byOutput.shape()[0];
    long outs = byOutput.shape()[1];
    long ins = byOutput.shape()[2];
    float[] u = new float[Math.toIntExact(positions * ins * outPadded)];
    for (long pos = 0; pos < positions; pos++) {
      for (long o = 0; o < outs; o++) {
        for (long c = 0; c < ins; c++) {
          u[(int) ((pos * ins + c) * outPadded + o)] = (float) byOutput.getDouble((pos * outs + o) * ins + c);
        }
      }
    }
    return Tensor.ofFloats(new long[] {positions, ins, outPadded}, u);
  }

  /**
   * {@code P[n, cb, h + PT, w + PL, l] = x[n, cb, h, w, l]}, and zeros around it: the strips above,
   * below, left and right of the image (not the whole plane twice).
   */
  private static void border(LoweringContext ctx, NchwcConvOperands op, Plan p, Buffer padded, List<Stmt> stmts) {
    long n = op.batch();
    long cb = p.x().dim(1);
    long h = op.inHeight();
    long w = op.inWidth();
    long b = op.block();
    long top = op.padBegin()[0];
    long left = op.padBegin()[1];
    long ph = p.paddedHeight();
    long pw = p.paddedWidth();
    long bottom = ph - top - h;
    long right = pw - left - w;
    zero(ctx, padded, new long[] {n, cb, top, pw, b}, 0, 0, stmts);
    zero(ctx, padded, new long[] {n, cb, bottom, pw, b}, top + h, 0, stmts);
    zero(ctx, padded, new long[] {n, cb, h, left, b}, top, 0, stmts);
    zero(ctx, padded, new long[] {n, cb, h, right, b}, top, left + w, stmts);
    List<Var> v = Nests.vars(ctx, "x", 5);
    stmts.add(rowsNest(v, new long[] {n, cb, h, w, b}, Nests.store(padded,
        List.of(v.get(0), v.get(1), Exprs.add(v.get(2), index(top)), Exprs.add(v.get(3), index(left)), v.get(4)),
        Exprs.load(op.x(), v))));
  }

  private static void zero(LoweringContext ctx, Buffer padded, long[] extents, long row, long col,
      List<Stmt> stmts) {
    for (long e : extents) {
      if (e <= 0) {
        return;
      }
    }
    List<Var> v = Nests.vars(ctx, "z", 5);
    stmts.add(rowsNest(v, extents, Nests.store(padded,
        List.of(v.get(0), v.get(1), Exprs.add(v.get(2), index(row)), Exprs.add(v.get(3), index(col)), v.get(4)),
        Exprs.constant(DType.F32, 0))));
  }

  /** {@code n, cb (parallel), h, w (serial), lanes (vectorized)}. */
  private static Stmt rowsNest(List<Var> v, long[] e, Stmt body) {
    return new Stmt.For(v.get(0), e[0], LoopKind.SERIAL, new Stmt.For(v.get(1), e[1], LoopKind.PARALLEL,
        new Stmt.For(v.get(2), e[2], LoopKind.SERIAL, new Stmt.For(v.get(3), e[3], LoopKind.SERIAL,
            new Stmt.For(v.get(4), e[4], LoopKind.VECTORIZED, body)))));
  }

  /** The tile coordinates of flat tile index {@code t}: image, tile row, tile column. */
  private record TileAt(Expr n, Expr th, Expr tw) {
    static TileAt of(Plan p, Expr t) {
      Expr n = Nests.floorDiv(t, index(p.tilesHigh() * p.tilesWide()));
      Expr th = Nests.floorMod(Nests.floorDiv(t, index(p.tilesWide())), index(p.tilesHigh()));
      Expr tw = Nests.floorMod(t, index(p.tilesWide()));
      return new TileAt(n, th, tw);
    }
  }

  /** One chunk of {@code count} tiles from {@code first}, in scratch slot {@code slot}. */
  private static Stmt chunk(LoweringContext ctx, Plan p, Scratch s, Var slot, Expr first, long count) {
    long groups = columnGroups(p);
    if (groups > 1) {
      return Stmt.Block.of(
          inputTransform(ctx, p, s, slot, first, count),
          productsAndOutput(ctx, p, s, slot, first, count, groups));
    }
    Var mb = ctx.var("mb");
    return Stmt.Block.of(
        inputTransform(ctx, p, s, slot, first, count),
        products(ctx, p, s, slot, count),
        new Stmt.For(mb, p.op().y().dim(1), LoopKind.PARALLEL, outputTransform(ctx, p, s, slot, mb, first, count)));
  }

  /**
   * One parallel loop over {@code groups} equal groups of output columns (whole channel blocks):
   * each iteration runs the a^2 GEMMs {@code M[pos][:, cols] = V[pos] * U[pos][:, cols]} for its
   * columns (a branch per group, so that U's offsets stay constants for compile-time packing),
   * then the output transform of its channel blocks, which read only what this iteration wrote.
   */
  private static Stmt productsAndOutput(LoweringContext ctx, Plan p, Scratch s, Var slot, Expr first, long count,
      long groups) {
    long positions = p.positions();
    long cp = p.inPadded();
    long mp = p.outPadded();
    long c = p.op().channels();
    long cols = mp / groups;
    long blocks = p.op().y().dim(1) / groups;
    Var group = ctx.var("g");
    Stmt chain = null;
    for (long g = groups - 1; g >= 0; g--) {
      List<Stmt> products = new ArrayList<>();
      for (long pos = 0; pos < positions; pos++) {
        Expr slice = Exprs.add(Exprs.mul(slot, index(positions)), index(pos));
        Local acc = ctx.local("acc", DType.F32);
        products.add(Stmt.Matmul.plain(
            new MatrixOperand(s.v(), Exprs.mul(slice, index(p.perChunk() * cp)), cp, 1),
            new MatrixOperand(s.u(), index(pos * c * mp + g * cols), mp, 1),
            new MatrixOperand(s.m(), Exprs.add(Exprs.mul(slice, index(p.perChunk() * mp)), index(g * cols)), mp, 1),
            count, cols, c, acc));
      }
      Stmt body = outlined(ctx, Stmt.Block.of(products));
      chain = chain == null ? body
          : new Stmt.If(new Expr.Binary(BinaryOp.EQ, group, index(g)), body, Optional.of(chain));
    }
    Var j = ctx.var("j");
    Expr mb = Exprs.add(Exprs.mul(group, index(blocks)), j);
    Stmt out = new Stmt.For(j, blocks, LoopKind.SERIAL,
        outlined(ctx, outputTransform(ctx, p, s, slot, mb, first, count)));
    return new Stmt.For(group, groups, LoopKind.PARALLEL, Stmt.Block.of(chain, out));
  }

  /**
   * {@code body} as a parallel loop of one iteration: it runs on the calling thread, but code
   * generation makes it a method of its own. The group loop's body in one method (the GEMM
   * calls of both groups and the output transform, 6 to 7 KB of bytecode) ran ResNet-18's
   * 64@56² layers at 10 ms instead of 0.6 (not compiled by C2 after 60 s of runs).
   */
  private static Stmt outlined(LoweringContext ctx, Stmt body) {
    return new Stmt.For(ctx.var("once"), 1, LoopKind.PARALLEL, body);
  }

  /**
   * The system property choosing how the input transform is split between threads: {@code
   * tiles} (the default: ranges of tiles, every channel block of a tile on one thread) or {@code
   * blocks} (A/B: one iteration per input channel block).
   */
  public static final String TRANSFORM_SPLIT_PROPERTY = "kiln.winograd.transformSplit";

  /** Tile ranges of the input transform's parallel loop (at most), with {@link #TRANSFORM_SPLIT_PROPERTY} tiles. */
  static final long TILE_RANGES = 8;

  /**
   * Whether the input transform's parallel loop is over ranges of tiles rather than input channel
   * blocks. Why: V's rows (one per position and tile) hold every channel, a block's 16 floats
   * side by side; split by blocks, the two threads write the two halves of every row, and since a
   * float[]'s start is only 8-byte aligned, the halves share a cache line in most processes (a
   * line moving between the cores 7056 times per 64@56² layer). Split by tiles, a thread writes
   * whole rows, and the bordered planes are made first in a loop over blocks of their own.
   */
  static boolean transformByTiles() {
    String split = System.getProperty(TRANSFORM_SPLIT_PROPERTY, "tiles").trim();
    if (!split.equals("tiles") && !split.equals("blocks")) {
      throw new IllegalArgumentException("-D" + TRANSFORM_SPLIT_PROPERTY + "=" + split + " is not tiles or blocks");
    }
    return split.equals("tiles");
  }

  /** Regions of the row stage's scratch: one per tile range, or per channel block. */
  private static long rowsRegions(Plan p) {
    return transformByTiles() ? Math.min(TILE_RANGES, p.perChunk()) : p.x().dim(1);
  }

  private static Stmt inputTransform(LoweringContext ctx, Plan p, Scratch s, Var slot, Expr first, long count) {
    if (!transformByTiles()) {
      return inputTransformByBlocks(ctx, p, s, slot, first, count);
    }
    // R ranges of `per` tiles (the last one shorter: a guard per tile), each on one thread, every
    // channel block of its tiles; the row stage's scratch is the range's own.
    long ranges = Math.min(TILE_RANGES, count);
    long per = Math.ceilDiv(count, ranges);
    ranges = Math.ceilDiv(count, per);
    Var r = ctx.var("range");
    Var t = ctx.var("t");
    Var cb = ctx.var("cb");
    Expr tt = Exprs.add(Exprs.mul(r, index(per)), t);
    Stmt perBlock = new Stmt.For(cb, p.x().dim(1), LoopKind.SERIAL, tileTransform(ctx, p, s, slot, first, tt, cb, r));
    Stmt body = count % per == 0 ? perBlock
        : Stmt.If.of(Exprs.lt(tt, index(count)), perBlock);
    Stmt transform = new Stmt.For(r, ranges, LoopKind.PARALLEL, new Stmt.For(t, per, LoopKind.SERIAL, body));
    if (!s.planePerBlock()) {
      return transform;
    }
    Var pb = ctx.var("cb");
    return Stmt.Block.of(new Stmt.For(pb, p.x().dim(1), LoopKind.PARALLEL, plane(ctx, p, s.padded(), pb)), transform);
  }

  /** The input transform as one parallel loop over input channel blocks (A/B, see {@link #transformByTiles}). */
  private static Stmt inputTransformByBlocks(LoweringContext ctx, Plan p, Scratch s, Var slot, Expr first, long count) {
    Var cb = ctx.var("cb");
    Var tt = ctx.var("tt");
    Stmt tiles = new Stmt.For(tt, count, LoopKind.SERIAL, tileTransform(ctx, p, s, slot, first, tt, cb, cb));
    return new Stmt.For(cb, p.x().dim(1), LoopKind.PARALLEL,
        s.planePerBlock() ? Stmt.Block.of(plane(ctx, p, s.padded(), cb), tiles) : tiles);
  }

  /**
   * The input transform of tile {@code first + tt}, channel block {@code cb}, through the row
   * stage's scratch region {@code region}.
   */
  private static Stmt tileTransform(LoweringContext ctx, Plan p, Scratch s, Var slot, Expr first, Expr tt, Var cb,
      Expr region) {
    WinogradConv.Tile tile = p.tile();
    int a = p.alpha();
    int m = p.m();
    long b = p.op().block();
    TileAt at = TileAt.of(p, Exprs.add(first, tt));
    // Rows: E[i, q] = sum over k of B^T[q, k] d[i, k].
    Var i = ctx.var("i");
    Var l1 = ctx.var("l");
    List<Stmt> rowBody = new ArrayList<>();
    List<Expr> d = new ArrayList<>();
    for (int k = 0; k < a; k++) {
      Local e = ctx.local("d", DType.F32);
      rowBody.add(new Stmt.Let(e, Exprs.load(s.padded(), at.n(), cb,
          Exprs.add(Exprs.mul(at.th(), index(m)), i), Exprs.add(Exprs.mul(at.tw(), index(m)), index(k)), l1)));
      d.add(e);
    }
    for (int q = 0; q < a; q++) {
      rowBody.add(Nests.store(s.rows(), List.of(slot, region, i, index(q), l1), WinogradConv.combination(tile.bt[q], d)));
    }
    Stmt rows = new Stmt.For(i, a, LoopKind.SERIAL, new Stmt.For(l1, b, LoopKind.VECTORIZED, Stmt.Block.of(rowBody)));
    // Columns: V[p, q] = sum over i of B^T[p, i] E[i, q].
    Var q = ctx.var("q");
    Var l2 = ctx.var("l");
    List<Stmt> colBody = new ArrayList<>();
    List<Expr> e = new ArrayList<>();
    for (int k = 0; k < a; k++) {
      Local x = ctx.local("e", DType.F32);
      colBody.add(new Stmt.Let(x, Exprs.load(s.rows(), slot, region, index(k), q, l2)));
      e.add(x);
    }
    Expr channel = Exprs.add(Exprs.mul(cb, index(b)), l2);
    for (int r = 0; r < a; r++) {
      colBody.add(Nests.store(s.v(), List.of(slot, Exprs.add(index((long) r * a), q), tt, channel),
          WinogradConv.combination(tile.bt[r], e)));
    }
    Stmt cols = new Stmt.For(q, a, LoopKind.SERIAL, new Stmt.For(l2, b, LoopKind.VECTORIZED, Stmt.Block.of(colBody)));
    return Stmt.Block.of(rows, cols);
  }

  /**
   * Channel block {@code cb}'s planes of the bordered copy, every image: the strips above, below,
   * left and right of the image zero, the interior copied from X. Made inside the input
   * transform's parallel loop just before its tiles read it (in L2), so the copy needs no
   * parallel loops of its own (five forks and joins per kernel on 2 threads, as
   * NchwcWindow.borderedPlane removed from the depthwise kernels).
   */
  private static Stmt plane(LoweringContext ctx, Plan p, Buffer padded, Var cb) {
    NchwcConvOperands op = p.op();
    long h = op.inHeight();
    long w = op.inWidth();
    long top = op.padBegin()[0];
    long left = op.padBegin()[1];
    long ph = p.paddedHeight();
    long pw = p.paddedWidth();
    Var n = ctx.var("n");
    List<Stmt> stmts = new ArrayList<>();
    planeZero(ctx, padded, n, cb, 0, top, 0, pw, stmts);
    planeZero(ctx, padded, n, cb, top + h, ph, 0, pw, stmts);
    planeZero(ctx, padded, n, cb, top, top + h, 0, left, stmts);
    planeZero(ctx, padded, n, cb, top, top + h, left + w, pw, stmts);
    Var r = ctx.var("h");
    Var c = ctx.var("w");
    Var l = ctx.var("l");
    stmts.add(Nests.loop(r, h, Nests.loop(c, w, new Stmt.For(l, op.block(), LoopKind.VECTORIZED,
        Nests.store(padded, List.of(n, cb, Exprs.add(r, index(top)), Exprs.add(c, index(left)), l),
            Exprs.load(op.x(), n, cb, r, c, l))))));
    return Nests.loop(n, op.batch(), Stmt.Block.of(stmts));
  }

  /** Rows {@code [h0, h1)}, columns {@code [w0, w1)} of plane {@code [n, cb]} set to 0. */
  private static void planeZero(LoweringContext ctx, Buffer padded, Var n, Var cb, long h0, long h1, long w0, long w1,
      List<Stmt> stmts) {
    if (h1 <= h0 || w1 <= w0) {
      return;
    }
    Var r = ctx.var("h");
    Var c = ctx.var("w");
    Var l = ctx.var("l");
    stmts.add(Nests.loop(r, h1 - h0, Nests.loop(c, w1 - w0, new Stmt.For(l, padded.dim(4), LoopKind.VECTORIZED,
        Nests.store(padded, List.of(n, cb, Exprs.add(r, index(h0)), Exprs.add(c, index(w0)), l),
            Exprs.constant(DType.F32, 0))))));
  }

  /**
   * The a^2 GEMMs of a chunk, in a parallel loop over groups of positions (each GEMM's B offset
   * stays a constant, which compile-time packing needs).
   */
  private static Stmt products(LoweringContext ctx, Plan p, Scratch s, Var slot, long count) {
    long positions = p.positions();
    long groups = p.alpha();
    long cp = p.inPadded();
    long mp = p.outPadded();
    long c = p.op().channels();
    Var group = ctx.var("g");
    Stmt chain = null;
    for (long g = groups - 1; g >= 0; g--) {
      List<Stmt> products = new ArrayList<>();
      for (long pos = g * positions / groups; pos < (g + 1) * positions / groups; pos++) {
        Expr slice = Exprs.add(Exprs.mul(slot, index(positions)), index(pos));
        Local acc = ctx.local("acc", DType.F32);
        products.add(Stmt.Matmul.plain(
            new MatrixOperand(s.v(), Exprs.mul(slice, index(p.perChunk() * cp)), cp, 1),
            new MatrixOperand(s.u(), index(pos * c * mp), mp, 1),
            new MatrixOperand(s.m(), Exprs.mul(slice, index(p.perChunk() * mp)), mp, 1),
            count, mp, c, acc));
      }
      Stmt body = Stmt.Block.of(products);
      chain = chain == null ? body
          : new Stmt.If(new Expr.Binary(BinaryOp.EQ, group, index(g)), body, Optional.of(chain));
    }
    return new Stmt.For(group, groups, LoopKind.PARALLEL, chain);
  }

  /** The output transform of channel block {@code mb} of Y, every tile of the chunk. */
  private static Stmt outputTransform(LoweringContext ctx, Plan p, Scratch s, Var slot, Expr mb, Expr first,
      long count) {
    WinogradConv.Tile tile = p.tile();
    NchwcConvOperands op = p.op();
    int a = p.alpha();
    int m = p.m();
    long b = op.block();
    Var tt = ctx.var("tt");
    TileAt at = TileAt.of(p, Exprs.add(first, tt));
    // Rows: O[i, q] = sum over r of A^T[i, r] M[r, q].
    Var q = ctx.var("q");
    Var l1 = ctx.var("l");
    List<Stmt> rowBody = new ArrayList<>();
    List<Expr> col = new ArrayList<>();
    Expr lane = Exprs.add(Exprs.mul(mb, index(b)), l1);
    for (int r = 0; r < a; r++) {
      Local x = ctx.local("f", DType.F32);
      rowBody.add(new Stmt.Let(x, Exprs.load(s.m(), slot, Exprs.add(index((long) r * a), q), tt, lane)));
      col.add(x);
    }
    for (int i = 0; i < m; i++) {
      rowBody.add(Nests.store(s.cols(), List.of(slot, mb, index(i), q, l1), WinogradConv.combination(tile.at[i], col)));
    }
    Stmt rows = new Stmt.For(q, a, LoopKind.SERIAL, new Stmt.For(l1, b, LoopKind.VECTORIZED, Stmt.Block.of(rowBody)));
    Stmt stores = p.ragged()
        ? new Stmt.If(Exprs.and(Exprs.lt(at.th(), index(op.outHeight() / m)), Exprs.lt(at.tw(), index(op.outWidth() / m))),
            fullTile(ctx, p, s, slot, mb, at), Optional.of(edgeTile(ctx, p, s, slot, mb, at)))
        : fullTile(ctx, p, s, slot, mb, at);
    return new Stmt.For(tt, count, LoopKind.SERIAL, Stmt.Block.of(rows, stores));
  }

  /** Columns of a tile inside Y: {@code y[i, j] = act(sum over q of A^T[j, q] O[i, q] + bias + z)}. */
  private static Stmt fullTile(LoweringContext ctx, Plan p, Scratch s, Var slot, Expr mb, TileAt at) {
    int a = p.alpha();
    int m = p.m();
    Var i = ctx.var("i");
    Var l = ctx.var("l");
    List<Stmt> body = new ArrayList<>();
    List<Expr> row = loadRow(ctx, s, slot, mb, i, l, a, body);
    for (int j = 0; j < m; j++) {
      body.add(outputStore(p, s, mb, at, i, index(j), l, WinogradConv.combination(p.tile().at[j], row)));
    }
    return new Stmt.For(i, m, LoopKind.SERIAL, new Stmt.For(l, p.op().block(), LoopKind.VECTORIZED,
        Stmt.Block.of(body)));
  }

  /**
   * A tile crossing Y's bottom or right edge: the whole tile into the edge scratch, then the
   * outputs inside Y from there with the epilogue. (One guarded store per column unrolled
   * with the epilogue made the method too large for C1, so it ran interpreted until C2.)
   */
  private static Stmt edgeTile(LoweringContext ctx, Plan p, Scratch s, Var slot, Expr mb, TileAt at) {
    int a = p.alpha();
    int m = p.m();
    NchwcConvOperands op = p.op();
    Buffer edge = s.edge().orElseThrow();
    Var i = ctx.var("i");
    Var l = ctx.var("l");
    List<Stmt> body = new ArrayList<>();
    List<Expr> row = loadRow(ctx, s, slot, mb, i, l, a, body);
    for (int j = 0; j < m; j++) {
      body.add(Nests.store(edge, List.of(slot, mb, i, index(j), l), WinogradConv.combination(p.tile().at[j], row)));
    }
    Stmt whole = new Stmt.For(i, m, LoopKind.SERIAL, new Stmt.For(l, op.block(), LoopKind.VECTORIZED,
        Stmt.Block.of(body)));
    Var r = ctx.var("i");
    Var c = ctx.var("j");
    Var l2 = ctx.var("l");
    Expr inside = Exprs.and(
        Exprs.lt(Exprs.add(Exprs.mul(at.th(), index(m)), r), index(op.outHeight())),
        Exprs.lt(Exprs.add(Exprs.mul(at.tw(), index(m)), c), index(op.outWidth())));
    Stmt store = new Stmt.For(l2, op.block(), LoopKind.VECTORIZED,
        outputStore(p, s, mb, at, r, c, l2, Exprs.load(edge, slot, mb, r, c, l2)));
    Stmt inY = new Stmt.For(r, m, LoopKind.SERIAL, new Stmt.For(c, m, LoopKind.SERIAL, Stmt.If.of(inside, store)));
    return Stmt.Block.of(whole, inY);
  }

  private static List<Expr> loadRow(LoweringContext ctx, Scratch s, Var slot, Expr mb, Var i, Var l, int a,
      List<Stmt> body) {
    List<Expr> row = new ArrayList<>();
    for (int q = 0; q < a; q++) {
      Local x = ctx.local("o", DType.F32);
      body.add(new Stmt.Let(x, Exprs.load(s.cols(), slot, mb, i, index(q), l)));
      row.add(x);
    }
    return row;
  }

  private static Stmt outputStore(Plan p, Scratch s, Expr mb, TileAt at, Expr i, Expr j, Var l, Expr value) {
    NchwcConvOperands op = p.op();
    int m = p.m();
    if (s.bias().isPresent()) {
      value = Exprs.add(value, Exprs.load(s.bias().get(), mb, l));
    }
    List<Expr> yAt = List.of(at.n(), mb, Exprs.add(Exprs.mul(at.th(), index(m)), i),
        Exprs.add(Exprs.mul(at.tw(), index(m)), j), l);
    if (op.residual().isPresent()) {
      value = Exprs.add(value, Exprs.load(op.residual().get(), yAt));
    }
    return Nests.store(op.y(), yAt, op.activation().apply(value));
  }
}
