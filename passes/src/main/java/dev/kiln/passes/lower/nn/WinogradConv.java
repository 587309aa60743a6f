package dev.kiln.passes.lower.nn;

import static dev.kiln.ir.loop.Exprs.index;

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
 * Winograd's minimal filtering F(m x m, 3 x 3) (Lavin and Gray, 2016) for 2-D f32 convolutions
 * with 3x3 kernels, stride 1, dilation 1, one group and constant weights: each output tile of
 * {@code m x m} is {@code A^T [sum over c of U_c (.) V_c] A}, with {@code U_c = G w_c G^T} (the
 * weights, transformed at compile time) and {@code V_c = B^T d_c B} (the {@code a x a} input tile,
 * {@code a = m + 2}). Per tile position {@code pos = (i, j)} of the {@code a x a} transform domain
 * the sum over channels is a matrix product {@code M[pos] (M x T) = U[pos] (M x C) * V[pos] (C x T)}
 * over all T tiles, one {@link Stmt.Matmul} each: the generated GEMM does
 * {@code a^2 M C T} multiply-adds instead of im2col's {@code 9 M C m^2 T}, 2.25x fewer for
 * F(2x2), 4x fewer for F(4x4).
 *
 * <p>The kernel, in seven nests (all images at once):
 * <ol>
 *   <li>zero-fill then copy the input into {@code D[n, c, r, s, hh * WW + ww]} = the zero-bordered
 *       image at row {@code hh * m + r}, column {@code ww * m + s}: the image split into its
 *       {@code m x m} phases, so that the tiles (whose corners are m apart) are consecutive
 *       elements of each phase plane (a scalar nest: it moves elements m apart);
 *   <li>the input transform, separably, vectorized along the tile slots {@code t = th * WW + tw}
 *       (one extra tile column {@code tw = TW} per row is computed and dropped, which keeps every
 *       load affine in t): rows into {@code E[n, c, i, s, t]} for each column phase s, then
 *       columns into {@code V[pos, c, n * T + t]};
 *   <li>the {@code a^2} matmuls (parallel over pos when each is too small to split itself);
 *   <li>the output transform, separably and vectorized along the slots, into
 *       {@code Yt[n, m, i, j, t]};
 *   <li>the epilogue nest {@code Y[n, m, h, w] = act(Yt[n, m, h % m, w % m, tile] + b + z)}.
 * </ol>
 * The loops over phases and transform rows inside each transform nest are real loops: small
 * bodies, and enough loop iterations per run for the JIT to compile them early (a kernel whose
 * nests run few long iterations stays interpreted, with the Vector API's slow fallback, for tens
 * of runs).
 *
 * <p>Accuracy: the transforms trade multiplications for additions of values of mixed signs and
 * scales, so the error bound grows with the tile: a computed output is within
 * {@code gamma(C + 21) * S_w}, {@code S_w = |A^T| [sum over c |G||w_c||G^T| (.) |B^T||d_c||B|] |A|},
 * of the exact one ({@code gamma(n) = n u / (1 - n u)}, u = 2^-24; the count: U's rounding 1,
 * each of the input transform's two stages at most 4 (a sum of at most 4 products, one
 * coefficient inexact), the GEMM C + 1, each of the output transform's stages at most 5 (exact
 * power-of-two coefficients), the bias and the residual 2). S_w is about 7x the direct
 * convolution's {@code |x| * |w|} for F(2x2) and about 80x for F(4x4) on uniform data (which is
 * why no larger tile is offered); {@link #errorBound} computes it, and the tests check against it.
 * An infinite or NaN input spreads to its whole tile (the transforms mix it with its
 * neighbours), so non-finite inputs do not give the reference's outputs.
 */
public final class WinogradConv {
  private WinogradConv() {}

  /** The output tile: F(2x2, 3x3) or F(4x4, 3x3), with their transform matrices (Lavin's points). */
  public enum Tile {
    F2(2,
        new double[][] {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
        new double[][] {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
        new double[][] {{1, 1, 1, 0}, {0, 1, -1, -1}}),
    F4(4,
        new double[][] {
            {4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
            {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}},
        new double[][] {
            {1.0 / 4, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
            {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}},
        new double[][] {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}});

    /** Output tile side. */
    public final int m;
    /** Input transform B^T (a x a), weight transform G (a x 3), output transform A^T (m x a). */
    final double[][] bt;
    final double[][] g;
    final double[][] at;

    Tile(int m, double[][] bt, double[][] g, double[][] at) {
      this.m = m;
      this.bt = bt;
      this.g = g;
      this.at = at;
    }

    /** Input tile side, a = m + 2. */
    public int alpha() {
      return m + 2;
    }

    /** The transform matrices (copies), for tests: {B^T, G, A^T}. */
    public double[][][] matrices() {
      return new double[][][] {copy(bt), copy(g), copy(at)};
    }

    private static double[][] copy(double[][] a) {
      double[][] c = new double[a.length][];
      for (int i = 0; i < a.length; i++) {
        c[i] = a[i].clone();
      }
      return c;
    }
  }

  /** The tile grid of one convolution: TH x TW tiles per image, one spare column per row. */
  record Grid(long tilesHigh, long tilesWide, int m) {
    static Grid of(long outHeight, long outWidth, Tile tile) {
      return new Grid(ceil(outHeight, tile.m), ceil(outWidth, tile.m), tile.m);
    }

    /** Phase columns per row of a phase plane, and tile slots per tile row: TW + 1. */
    long rowSlots() {
      return tilesWide + 1;
    }

    /** Tile slots per image (the spare column included): TH * (TW + 1). */
    long slots() {
      return tilesHigh * rowSlots();
    }

    /** Elements of one phase plane: (TH + 1) rows of TW + 1, and one more that a spare tile reads. */
    long plane() {
      return (tilesHigh + 1) * rowSlots() + 1;
    }
  }

  static long ceil(long a, long b) {
    return (a + b - 1) / b;
  }

  /**
   * {@code U[pos, M, C]} with {@code U[(i, j), o, c] = (G w[o, c] G^T)[i, j]}, computed in double
   * (the coefficients 1/6, 1/12, 1/24 are not binary fractions) and rounded once to f32.
   */
  public static Tensor weights(Tensor w, Tile tile) {
    int a = tile.alpha();
    long outs = w.shape()[0];
    long ins = w.shape()[1];
    double[] u = new double[Math.toIntExact(a * a * outs * ins)];
    double[][] gw = new double[a][3];
    for (long o = 0; o < outs; o++) {
      for (long c = 0; c < ins; c++) {
        long base = (o * ins + c) * 9;
        for (int i = 0; i < a; i++) {
          for (int k = 0; k < 3; k++) {
            double s = 0;
            for (int r = 0; r < 3; r++) {
              s += tile.g[i][r] * w.getDouble(base + r * 3 + k);
            }
            gw[i][k] = s;
          }
        }
        for (int i = 0; i < a; i++) {
          for (int j = 0; j < a; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++) {
              s += gw[i][k] * tile.g[j][k];
            }
            u[Math.toIntExact(((long) (i * a + j) * outs + o) * ins + c)] = s;
          }
        }
      }
    }
    return Tensor.ofDoubles(DType.F32, new long[] {(long) a * a, outs, ins}, u);
  }

  /**
   * Multiply-adds of the matmuls, for the cost model: {@code a^2 * M * C * N * slots}.
   */
  static double gemmMultiplyAdds(Tile tile, long batch, long channels, long outChannels, long outHeight,
      long outWidth) {
    Grid grid = Grid.of(outHeight, outWidth, tile);
    double a = tile.alpha();
    return a * a * outChannels * channels * batch * grid.slots();
  }

  /** The kernel of the class comment, for the convolution {@code g} with constant weights {@code w}. */
  static Stmt lower(LoweringContext ctx, ConvLowerings.Geometry g, Tensor w, Tile tile,
      ConvEpilogue epilogue, long parallelFlops) {
    int m = tile.m;
    int a = tile.alpha();
    long positions = (long) a * a;
    Grid grid = Grid.of(g.out[0], g.out[1], tile);
    long slots = grid.slots();
    long allSlots = g.batch * slots;
    long ww = grid.rowSlots();
    Buffer u = ctx.constant("u", weights(w, tile));
    Buffer d = ctx.scratch("phases", DType.F32, g.batch, g.channels, m, m, grid.plane());
    Buffer e1 = ctx.scratch("rows", DType.F32, g.batch, g.channels, a, m, slots + 1);
    Buffer v = ctx.scratch("v", DType.F32, positions, g.channels, allSlots);
    Buffer mo = ctx.scratch("m", DType.F32, positions, g.outChannels, allSlots);
    Buffer o1 = ctx.scratch("cols", DType.F32, g.batch, g.outChannels, m, a, slots);
    Buffer yt = ctx.scratch("tiles", DType.F32, g.batch, g.outChannels, m, m, slots);
    List<Stmt> stmts = new ArrayList<>();

    // 1. The phase planes of the zero-bordered input.
    {
      Var n = ctx.var("n");
      Var c = ctx.var("c");
      List<Var> z = Nests.vars(ctx, "p", 3);
      stmts.add(imagesThenParallel(n, g.batch, c, g.channels,
          new Stmt.For(z.get(0), m, LoopKind.SERIAL, new Stmt.For(z.get(1), m, LoopKind.SERIAL,
              new Stmt.For(z.get(2), grid.plane(), LoopKind.VECTORIZED,
                  Nests.store(d, List.of(n, c, z.get(0), z.get(1), z.get(2)), Exprs.constant(DType.F32, 0)))))));
    }
    {
      // Per input row h and column phase s, one loop over the columns w = k * m + s' of that
      // phase inside the image: no conditional and no division in the inner loop.
      Var n = ctx.var("n");
      Var c = ctx.var("c");
      Var h = ctx.var("h");
      Expr row = Exprs.add(h, index(g.padBegin[0]));
      Expr rowAt = Exprs.mul(Nests.floorDiv(row, index(m)), index(ww));
      List<Stmt> phases = new ArrayList<>();
      for (int s = 0; s < m; s++) {
        long first = Math.max(0, Math.floorDiv(g.padBegin[1] - s + m - 1, m));
        long last = Math.floorDiv(g.in[1] - 1 + g.padBegin[1] - s, m);
        if (last < first) {
          continue;
        }
        Var k = ctx.var("k");
        Expr from = Exprs.add(Exprs.mul(k, index(m)), index(first * m + s - g.padBegin[1]));
        phases.add(new Stmt.For(k, last - first + 1, LoopKind.SERIAL, Nests.store(d,
            List.of(n, c, Nests.floorMod(row, index(m)), index(s), Exprs.add(rowAt, Exprs.add(k, index(first)))),
            Exprs.load(g.x, n, c, h, from))));
      }
      stmts.add(imagesThenParallel(n, g.batch, c, g.channels,
          new Stmt.For(h, g.in[0], LoopKind.SERIAL, Stmt.Block.of(phases))));
    }

    // 2. The input transform V = B^T d B, separably: rows first, for each of the m column phases
    // of every slot (the a x a tiles overlap by two columns, so E holds each column once), then
    // columns. The loops over phases and rows are real loops (the coefficients do not depend on
    // them): small bodies, and enough iterations for the JIT to compile them after a few runs.
    {
      Var n = ctx.var("n");
      Var c = ctx.var("c");
      Var s = ctx.var("s");
      Var q = ctx.var("q");
      List<Stmt> body = new ArrayList<>();
      List<Expr> rows = new ArrayList<>();
      for (int i = 0; i < a; i++) {
        Local e = ctx.local("d", DType.F32);
        body.add(new Stmt.Let(e, Exprs.load(d, n, c, index(i % m), s, Exprs.add(q, index((i / m) * ww)))));
        rows.add(e);
      }
      for (int p = 0; p < a; p++) {
        body.add(Nests.store(e1, List.of(n, c, index(p), s, q), combination(tile.bt[p], rows)));
      }
      stmts.add(imagesThenParallel(n, g.batch, c, g.channels, new Stmt.For(s, m, LoopKind.SERIAL,
          new Stmt.For(q, slots + 1, LoopKind.VECTORIZED, Stmt.Block.of(body)))));
    }
    {
      Var n = ctx.var("n");
      Var c = ctx.var("c");
      Var p = ctx.var("i");
      Var t = ctx.var("t");
      Expr slot = Exprs.add(Exprs.mul(n, index(slots)), t);
      List<Stmt> body = new ArrayList<>();
      List<Expr> cols = new ArrayList<>();
      for (int k = 0; k < a; k++) {
        Local e = ctx.local("e", DType.F32);
        body.add(new Stmt.Let(e, Exprs.load(e1, n, c, p, index(k % m), Exprs.add(t, index(k / m)))));
        cols.add(e);
      }
      for (int j = 0; j < a; j++) {
        body.add(Nests.store(v, List.of(Exprs.add(Exprs.mul(p, index(a)), index(j)), c, slot),
            combination(tile.bt[j], cols)));
      }
      stmts.add(imagesThenParallel(n, g.batch, c, g.channels, new Stmt.For(p, a, LoopKind.SERIAL,
          new Stmt.For(t, slots, LoopKind.VECTORIZED, Stmt.Block.of(body)))));
    }

    // 3. One matmul per transform position: M[pos] = U[pos] * V[pos].
    {
      Var pos = ctx.var("pos");
      Local acc = ctx.local("acc", DType.F32);
      Stmt.Matmul product = Stmt.Matmul.plain(
          new MatrixOperand(u, Exprs.mul(pos, index(g.outChannels * g.channels)), g.channels, 1),
          new MatrixOperand(v, Exprs.mul(pos, index(g.channels * allSlots)), allSlots, 1),
          new MatrixOperand(mo, Exprs.mul(pos, index(g.outChannels * allSlots)), allSlots, 1),
          g.outChannels, allSlots, g.channels, acc);
      // A matmul of at least parallelFlops splits itself over the threads; smaller ones run
      // whole, so the positions are the parallel loop.
      boolean small = 2.0 * g.outChannels * g.channels * allSlots < parallelFlops;
      stmts.add(new Stmt.For(pos, positions, small ? LoopKind.PARALLEL : LoopKind.SERIAL, product));
    }

    // 4. The output transform A^T M A, separably: rows (i) for each column j, then columns.
    {
      Var n = ctx.var("n");
      Var o = ctx.var("o");
      Var j = ctx.var("j");
      Var t = ctx.var("t");
      Expr slot = Exprs.add(Exprs.mul(n, index(slots)), t);
      List<Stmt> body = new ArrayList<>();
      List<Expr> rows = new ArrayList<>();
      for (int k = 0; k < a; k++) {
        Local e = ctx.local("f", DType.F32);
        body.add(new Stmt.Let(e, Exprs.load(mo, Exprs.add(index((long) k * a), j), o, slot)));
        rows.add(e);
      }
      for (int i = 0; i < m; i++) {
        body.add(Nests.store(o1, List.of(n, o, index(i), j, t), combination(tile.at[i], rows)));
      }
      stmts.add(imagesThenParallel(n, g.batch, o, g.outChannels, new Stmt.For(j, a, LoopKind.SERIAL,
          new Stmt.For(t, slots, LoopKind.VECTORIZED, Stmt.Block.of(body)))));
    }
    {
      Var n = ctx.var("n");
      Var o = ctx.var("o");
      Var i = ctx.var("i");
      Var t = ctx.var("t");
      List<Stmt> body = new ArrayList<>();
      List<Expr> cols = new ArrayList<>();
      for (int k = 0; k < a; k++) {
        Local e = ctx.local("g", DType.F32);
        body.add(new Stmt.Let(e, Exprs.load(o1, n, o, i, index(k), t)));
        cols.add(e);
      }
      for (int j = 0; j < m; j++) {
        body.add(Nests.store(yt, List.of(n, o, i, index(j), t), combination(tile.at[j], cols)));
      }
      stmts.add(imagesThenParallel(n, g.batch, o, g.outChannels, new Stmt.For(i, m, LoopKind.SERIAL,
          new Stmt.For(t, slots, LoopKind.VECTORIZED, Stmt.Block.of(body)))));
    }

    // 5. The tiles into Y with the epilogue: bias, residual, activation; per output row and
    // column phase j one loop over the tiles (ow = tw * m + j), without divisions inside.
    {
      Var n = ctx.var("n");
      Var o = ctx.var("o");
      Var oh = ctx.var("oh");
      Expr tileRow = Exprs.mul(Nests.floorDiv(oh, index(m)), index(ww));
      List<Stmt> phases = new ArrayList<>();
      for (int j = 0; j < m && j < g.out[1]; j++) {
        Var tw = ctx.var("tw");
        Expr ow = Exprs.add(Exprs.mul(tw, index(m)), index(j));
        Expr value = Exprs.load(yt, n, o, Nests.floorMod(oh, index(m)), index(j), Exprs.add(tileRow, tw));
        if (epilogue.bias().isPresent()) {
          value = Exprs.add(value, Exprs.load(epilogue.bias().get(), o));
        }
        List<Expr> yIndex = List.of(n, o, oh, ow);
        Optional<Expr> residual = epilogue.residual().map(rb -> Exprs.load(rb, yIndex));
        phases.add(new Stmt.For(tw, ceil(g.out[1] - j, m), LoopKind.SERIAL,
            Nests.store(g.y, yIndex, epilogue.afterBias(value, residual))));
      }
      stmts.add(imagesThenParallel(n, g.batch, o, g.outChannels,
          new Stmt.For(oh, g.out[0], LoopKind.SERIAL, Stmt.Block.of(phases))));
    }
    return Stmt.Block.of(stmts);
  }

  /** {@code for n (serial) { for c (parallel) { body } }}. */
  private static Stmt imagesThenParallel(Var n, long images, Var c, long channels, Stmt body) {
    return new Stmt.For(n, images, LoopKind.SERIAL, new Stmt.For(c, channels, LoopKind.PARALLEL, body));
  }

  /**
   * The tolerance of a Winograd convolution, per output {@code [n, m, oh, ow]} (row-major):
   * {@code gamma(C + 21) * S_w}, with {@code S_w = |A^T| [sum over c (|G||w_c||G^T|) (.)
   * (|B^T||d_c||B|)] |A|} of the output's tile in double (d_c the tile of the zero-bordered input,
   * C the input channels; see the class comment): the computed convolution, before the bias, is
   * within it of the exact one. For tests and for users who want the figure.
   *
   * @param x the input {@code [N, C, H, W]}
   * @param w the weights {@code [M, C, 3, 3]}
   * @param padBegin the top and left zero padding
   */
  public static double[] errorBound(Tile tile, Tensor x, Tensor w, long[] padBegin, long outHeight,
      long outWidth) {
    double[][] bt = absolute(tile.bt);
    double[][] gm = absolute(tile.g);
    double[][] at = absolute(tile.at);
    int a = tile.alpha();
    int m = tile.m;
    int n = Math.toIntExact(x.shape()[0]);
    int c = Math.toIntExact(x.shape()[1]);
    long h = x.shape()[2];
    long wd = x.shape()[3];
    int outs = Math.toIntExact(w.shape()[0]);
    int oh = Math.toIntExact(outHeight);
    int ow = Math.toIntExact(outWidth);
    double[][][][] u = new double[outs][c][][];
    for (int o = 0; o < outs; o++) {
      for (int ch = 0; ch < c; ch++) {
        double[][] wt = new double[3][3];
        for (int r = 0; r < 3; r++) {
          for (int k = 0; k < 3; k++) {
            wt[r][k] = Math.abs(w.getDouble(((long) (o * c + ch) * 3 + r) * 3 + k));
          }
        }
        u[o][ch] = product(product(gm, wt), transpose(gm));
      }
    }
    double gamma = gamma(c + 21);
    double[] bound = new double[n * outs * oh * ow];
    for (int im = 0; im < n; im++) {
      for (int ti = 0; ti * m < oh; ti++) {
        for (int tj = 0; tj * m < ow; tj++) {
          double[][][] v = new double[c][][];
          for (int ch = 0; ch < c; ch++) {
            double[][] d = new double[a][a];
            for (int i = 0; i < a; i++) {
              for (int j = 0; j < a; j++) {
                long row = ti * m + i - padBegin[0];
                long col = tj * m + j - padBegin[1];
                if (row >= 0 && row < h && col >= 0 && col < wd) {
                  d[i][j] = Math.abs(x.getDouble(((im * (long) c + ch) * h + row) * wd + col));
                }
              }
            }
            v[ch] = product(product(bt, d), transpose(bt));
          }
          for (int o = 0; o < outs; o++) {
            double[][] sum = new double[a][a];
            for (int ch = 0; ch < c; ch++) {
              for (int i = 0; i < a; i++) {
                for (int j = 0; j < a; j++) {
                  sum[i][j] += u[o][ch][i][j] * v[ch][i][j];
                }
              }
            }
            double[][] y = product(product(at, sum), transpose(at));
            for (int i = 0; i < m && ti * m + i < oh; i++) {
              for (int j = 0; j < m && tj * m + j < ow; j++) {
                bound[((im * outs + o) * oh + ti * m + i) * ow + tj * m + j] = gamma * y[i][j];
              }
            }
          }
        }
      }
    }
    return bound;
  }

  /** {@code n u / (1 - n u)}, u = 2^-24: the relative error bound of n f32 roundings in a row. */
  public static double gamma(long n) {
    double nu = n * 0x1p-24;
    return nu / (1 - nu);
  }

  private static double[][] product(double[][] p, double[][] q) {
    double[][] r = new double[p.length][q[0].length];
    for (int i = 0; i < p.length; i++) {
      for (int k = 0; k < q.length; k++) {
        for (int j = 0; j < q[0].length; j++) {
          r[i][j] += p[i][k] * q[k][j];
        }
      }
    }
    return r;
  }

  private static double[][] transpose(double[][] p) {
    double[][] r = new double[p[0].length][p.length];
    for (int i = 0; i < p.length; i++) {
      for (int j = 0; j < p[0].length; j++) {
        r[j][i] = p[i][j];
      }
    }
    return r;
  }

  private static double[][] absolute(double[][] p) {
    double[][] r = new double[p.length][p[0].length];
    for (int i = 0; i < p.length; i++) {
      for (int j = 0; j < p[0].length; j++) {
        r[i][j] = Math.abs(p[i][j]);
      }
    }
    return r;
  }

  /**
   * {@code sum over k of coefficients[k] * terms[k]}, in k order, zero coefficients skipped and
   * coefficients of +-1 as additions and subtractions.
   */
  static Expr combination(double[] coefficients, List<Expr> terms) {
    Expr sum = null;
    for (int k = 0; k < coefficients.length; k++) {
      double q = coefficients[k];
      if (q == 0) {
        continue;
      }
      Expr term = Math.abs(q) == 1 ? terms.get(k)
          : Exprs.mul(Exprs.constant(DType.F32, Math.abs(q)), terms.get(k));
      if (sum == null) {
        sum = q > 0 ? term : new Expr.Unary(dev.kiln.ir.loop.UnaryOp.NEG, term);
      } else {
        sum = q > 0 ? Exprs.add(sum, term) : Exprs.sub(sum, term);
      }
    }
    return sum == null ? Exprs.constant(DType.F32, 0) : sum;
  }

}
