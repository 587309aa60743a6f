package dev.kiln.passes.lower.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.LoopVerifier;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.TestLowering;
import dev.kiln.passes.schedule.Schedule;
import dev.kiln.passes.schedule.ScheduleException;
import dev.kiln.runtime.loop.LoopInterpreter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The direct NCHWc convolution lowering: its intrinsic, interpreted, against a plain NCHW
 * convolution computed here in double precision (an oracle independent of the interpreter's
 * reference of the intrinsic), on strides, dilations, asymmetric pads and odd channel counts.
 */
class NchwcDirectConvTest {
  /** Pads are top, left, bottom, right. */
  record Geometry(int n, int c, int m, int h, int w, int kh, int kw, int sh, int sw, int dh, int dw, int pt,
      int pl, int pb, int pr) {
    int oh() {
      return (h + pt + pb - dh * (kh - 1) - 1) / sh + 1;
    }

    int ow() {
      return (w + pl + pr - dw * (kw - 1) - 1) / sw + 1;
    }
  }

  static final int BLOCK = 16;

  @Test
  void interpretedIntrinsicMatchesNchwConvolution() {
    check(new Geometry(1, 16, 16, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1), true, true, true);
    check(new Geometry(2, 3, 20, 7, 9, 3, 2, 2, 1, 1, 2, 1, 0, 2, 1), false, true, false);
    check(new Geometry(1, 33, 5, 5, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0), true, false, true);
    check(new Geometry(1, 8, 17, 9, 8, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3), false, false, false);
  }

  @Test
  void nchwInputOfTheFirstConvolution() {
    check(new Geometry(1, 3, 20, 13, 12, 7, 7, 2, 2, 1, 1, 3, 3, 3, 2), true, false, true, true);
    check(new Geometry(2, 5, 16, 7, 9, 3, 2, 2, 1, 1, 2, 1, 0, 2, 1), false, true, false, true);
    NchwcConvOperands op = operands(new Geometry(1, 3, 16, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1), 1, false, false,
        UnaryOperator.identity(), true);
    assertTrue(op.nchwInput() && NchwcDirectConv.supports(op));
    assertFalse(NchwcReferenceConv.supports(op));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NchwcReferenceConv.lower(TestLowering.context("NchwcConv"), op));
    assertTrue(e.getMessage().contains("only NchwcDirectConv computes an NchwcConv of an NCHW input"),
        e.getMessage());
  }

  @Test
  void supportsDenseOnlyAndSaysWhy() {
    NchwcConvOperands depthwise = operands(new Geometry(1, 16, 16, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1), 16,
        false, false, UnaryOperator.identity());
    assertFalse(NchwcDirectConv.supports(depthwise));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NchwcDirectConv.lower(TestLowering.context("NchwcConv"), depthwise));
    assertTrue(e.getMessage().contains("dense 2-D f32"), e.getMessage());
    assertTrue(NchwcDirectConv.supports(operands(new Geometry(1, 16, 16, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1), 1,
        false, false, UnaryOperator.identity())));
  }

  @Test
  void schedulesRefuseTheIntrinsic() {
    Geometry g = new Geometry(1, 16, 16, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
    NchwcConvOperands op = operands(g, 1, false, false, UnaryOperator.identity());
    Stmt s = NchwcDirectConv.lower(TestLowering.context("NchwcConv"), op);
    Kernel k = new Kernel("conv", ImmutableList.of(op.x(), op.w(), op.y()), s, "");
    ScheduleException e = assertThrows(ScheduleException.class, () -> Schedule.of(k).parallelize("i"));
    assertTrue(e.getMessage().contains("blocked_conv intrinsic"), e.getMessage());
  }

  private static NchwcConvOperands operands(Geometry g, long group, boolean bias, boolean residual,
      UnaryOperator<dev.kiln.ir.loop.Expr> activation) {
    return operands(g, group, bias, residual, activation, false);
  }

  private static NchwcConvOperands operands(Geometry g, long group, boolean bias, boolean residual,
      UnaryOperator<dev.kiln.ir.loop.Expr> activation, boolean nchwInput) {
    long cb = (g.c + BLOCK - 1) / BLOCK;
    long mb = (g.m + BLOCK - 1) / BLOCK;
    Buffer x = nchwInput ? Buffer.of("x", DType.F32, BufferRole.INPUT, g.n, g.c, g.h, g.w)
        : Buffer.of("x", DType.F32, BufferRole.INPUT, g.n, cb, g.h, g.w, BLOCK);
    Buffer w = Buffer.of("w", DType.F32, BufferRole.INPUT, g.m, g.c / group, g.kh, g.kw);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, g.n, mb, g.oh(), g.ow(), BLOCK);
    Optional<Buffer> b = bias ? Optional.of(Buffer.of("b", DType.F32, BufferRole.INPUT, g.m)) : Optional.empty();
    Optional<Buffer> z = residual ? Optional.of(Buffer.of("z", DType.F32, BufferRole.INPUT, y.shapeArray()))
        : Optional.empty();
    return new NchwcConvOperands(x, w, Optional.empty(), b, z, y, BLOCK, g.c, new long[] {g.kh, g.kw},
        new long[] {g.sh, g.sw}, new long[] {g.dh, g.dw}, new long[] {g.pt, g.pl}, new long[] {g.pb, g.pr},
        group, activation);
  }

  private static void check(Geometry g, boolean bias, boolean residual, boolean relu) {
    check(g, bias, residual, relu, false);
  }

  private static void check(Geometry g, boolean bias, boolean residual, boolean relu, boolean nchwInput) {
    NchwcConvOperands op = operands(g, 1, bias, residual,
        relu ? e -> Exprs.binary(BinaryOp.MAX, e, Exprs.constant(DType.F32, 0)) : UnaryOperator.identity(),
        nchwInput);
    Stmt s = NchwcDirectConv.lower(TestLowering.context("NchwcConv"), op);
    List<Buffer> inputs = new ArrayList<>(List.of(op.x(), op.w()));
    op.bias().ifPresent(inputs::add);
    op.residual().ifPresent(inputs::add);
    List<Buffer> buffers = new ArrayList<>(inputs);
    buffers.add(op.y());
    LoopProgram p = new LoopProgram("conv", ImmutableList.copyOf(inputs), ImmutableList.of(op.y()),
        ImmutableMap.of(), ImmutableList.of(), ImmutableList.of(new Kernel("conv", ImmutableList.copyOf(buffers),
            s, "")));
    assertEquals(List.of(), LoopVerifier.verify(p));

    Random r = new Random(g.hashCode());
    float[][][][] x = new float[g.n][g.c][g.h][g.w];
    float[][][][] w = new float[g.m][g.c][g.kh][g.kw];
    float[] b = new float[g.m];
    float[][][][] z = new float[g.n][g.m][g.oh()][g.ow()];
    fill(x, r);
    fill(w, r);
    fill(z, r);
    for (int i = 0; i < g.m; i++) {
      b[i] = (float) r.nextGaussian();
    }
    Map<String, Tensor> in = new LinkedHashMap<>();
    in.put("x", Tensor.ofFloats(op.x().shapeArray(), nchwInput ? flat(x) : blocked(x, g.c, op.x())));
    in.put("w", Tensor.ofFloats(op.w().shapeArray(), flat(w)));
    if (bias) {
      in.put("b", Tensor.ofFloats(new long[] {g.m}, b));
    }
    if (residual) {
      in.put("z", Tensor.ofFloats(op.y().shapeArray(), blocked(z, g.m, op.y())));
    }
    float[] y = LoopInterpreter.run(p, in).get("y").toFloatArray();
    long mb = op.y().dim(1);
    for (int n = 0; n < g.n; n++) {
      for (int m = 0; m < mb * BLOCK; m++) {
        for (int i = 0; i < g.oh(); i++) {
          for (int j = 0; j < g.ow(); j++) {
            double want = 0;
            if (m < g.m) {
              for (int c = 0; c < g.c; c++) {
                for (int a = 0; a < g.kh; a++) {
                  for (int d = 0; d < g.kw; d++) {
                    int ih = i * g.sh - g.pt + a * g.dh;
                    int iw = j * g.sw - g.pl + d * g.dw;
                    if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) {
                      want += (double) x[n][c][ih][iw] * w[m][c][a][d];
                    }
                  }
                }
              }
              want += (bias ? b[m] : 0) + (residual ? z[n][m][i][j] : 0);
              want = relu ? Math.max(want, 0) : want;
            }
            int at = (int) ((((n * mb + m / BLOCK) * g.oh() + i) * g.ow() + j) * BLOCK + m % BLOCK);
            assertEquals(want, y[at], 1e-4 * (1 + Math.abs(want)), g + " at n " + n + " m " + m + " (" + i + ", "
                + j + ")");
          }
        }
      }
    }
  }

  private static void fill(float[][][][] a, Random r) {
    for (float[][][] p : a) {
      for (float[][] q : p) {
        for (float[] row : q) {
          for (int i = 0; i < row.length; i++) {
            row[i] = (float) r.nextGaussian();
          }
        }
      }
    }
  }

  private static float[] flat(float[][][][] a) {
    List<Float> out = new ArrayList<>();
    for (float[][][] p : a) {
      for (float[][] q : p) {
        for (float[] row : q) {
          for (float v : row) {
            out.add(v);
          }
        }
      }
    }
    float[] f = new float[out.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = out.get(i);
    }
    return f;
  }

  /** NCHW to NCHWc, pad lanes 0. */
  private static float[] blocked(float[][][][] a, int channels, Buffer to) {
    float[] out = new float[to.size()];
    long cb = to.dim(1);
    int h = (int) to.dim(2);
    int w = (int) to.dim(3);
    for (int n = 0; n < a.length; n++) {
      for (int c = 0; c < channels; c++) {
        for (int i = 0; i < h; i++) {
          for (int j = 0; j < w; j++) {
            out[(int) ((((n * cb + c / BLOCK) * h + i) * w + j) * BLOCK + c % BLOCK)] = a[n][c][i][j];
          }
        }
      }
    }
    return out;
  }
}
