package dev.kiln.codegen.conv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.codegen.SummationErrorBound;
import dev.kiln.codegen.compile.ProgramCompiler;
import dev.kiln.codegen.emit.EmitOptions;
import dev.kiln.codegen.emit.EmittedProgram;
import dev.kiln.codegen.emit.JavaEmitter;
import dev.kiln.codegen.gemm.GemmParams;
import dev.kiln.codegen.gemm.PackedWeights;
import dev.kiln.codegen.jit.JitCompiler;
import dev.kiln.codegen.jit.KernelCache;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.ConvGeometry;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Intrinsic;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.LoopVerifier;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.compiled.FrameLayout;
import dev.kiln.runtime.compiled.ParallelExecutor;
import dev.kiln.runtime.loop.LoopInterpreter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The generated blocked direct convolution ({@link ConvGenerator}) and the plain-loop fallback
 * against the loop-IR interpreter on many geometries, epilogues and thread counts. The kernel
 * reassociates the sums, so each element must agree within
 * {@code (K + 4) * 2^-23 * sum |x| |w| + 1e-6 * |expected|}, {@code K = C * KH * KW}, the bound of
 * float summation in any order.
 */
class ConvDifferentialTest {
  /**
   * BIAS_CLIP: min(max(acc + bias, 0.25), 6), a Clip after the bias as MobileNetV2's ReLU6, its
   * lower bound above zero so that the pad lanes of a partial output block are not zero unless
   * masked.
   */
  enum Epilogue { PLAIN, BIAS, RESIDUAL, BIAS_RESIDUAL_RELU, SIGMOID_BIAS, TANH, BIAS_CLIP }

  /** One convolution; pads are top, left, bottom, right; with {@code nchwInput}, x is NCHW. */
  record Case(int batch, int c, int m, int h, int w, int kh, int kw, int sh, int sw, int dh, int dw,
      int pt, int pl, int pb, int pr, int block, boolean constW, Epilogue epilogue, boolean nchwInput) {
    Case(int batch, int c, int m, int h, int w, int kh, int kw, int sh, int sw, int dh, int dw,
        int pt, int pl, int pb, int pr, int block, boolean constW, Epilogue epilogue) {
      this(batch, c, m, h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, block, constW, epilogue, false);
    }

    Case nchw() {
      return new Case(batch, c, m, h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, block, constW, epilogue, true);
    }

    int oh() {
      return (h + pt + pb - dh * (kh - 1) - 1) / sh + 1;
    }

    int ow() {
      return (w + pl + pr - dw * (kw - 1) - 1) / sw + 1;
    }

    @Override
    public String toString() {
      return "n" + batch + " " + c + "->" + m + " " + h + "x" + w + " k" + kh + "x" + kw + " s" + sh + "x" + sw
          + " d" + dh + "x" + dw + " p" + pt + "," + pl + "," + pb + "," + pr + " b" + block
          + (constW ? " const W" : "") + " " + epilogue + (nchwInput ? " NCHW input" : "");
    }
  }

  static Case conv(int c, int m, int hw, int k, int s, int pad, Epilogue e) {
    return new Case(1, c, m, hw, hw, k, k, s, s, 1, 1, pad, pad, pad, pad, 16, true, e);
  }

  private static final List<ParallelExecutor> EXECUTORS = List.of(ParallelExecutor.serial(),
      ParallelExecutor.withThreads(2), ParallelExecutor.withThreads(3));

  @Test
  void commonLayers() {
    check(List.of(
        conv(16, 16, 9, 3, 1, 1, Epilogue.PLAIN),
        conv(32, 64, 11, 3, 1, 1, Epilogue.BIAS),
        conv(64, 32, 8, 1, 1, 0, Epilogue.BIAS_RESIDUAL_RELU),
        conv(24, 40, 13, 3, 2, 1, Epilogue.BIAS),
        conv(16, 80, 7, 1, 2, 0, Epilogue.RESIDUAL),
        conv(20, 24, 17, 7, 2, 3, Epilogue.BIAS_RESIDUAL_RELU),
        conv(48, 144, 6, 3, 1, 1, Epilogue.TANH)), machineParams());
  }

  @Test
  void oddChannelsBordersDilationsAndBatches() {
    List<Case> cases = new ArrayList<>();
    Random r = new Random(5);
    int[] channels = {1, 3, 8, 15, 16, 17, 33};
    Epilogue[] epilogues = Epilogue.values();
    for (int t = 0; t < 24; t++) {
      int kh = 1 + r.nextInt(4);
      int kw = 1 + r.nextInt(4);
      int dh = 1 + r.nextInt(2);
      int dw = 1 + r.nextInt(3);
      int h = dh * (kh - 1) + 1 + r.nextInt(9);
      int w = dw * (kw - 1) + 1 + r.nextInt(20);
      cases.add(new Case(1 + r.nextInt(2), channels[r.nextInt(channels.length)], channels[r.nextInt(channels.length)],
          h, w, kh, kw, 1 + r.nextInt(2), 1 + r.nextInt(3), dh, dw, r.nextInt(3), r.nextInt(4), r.nextInt(3),
          r.nextInt(2), 16, r.nextBoolean(), epilogues[t % epilogues.length]));
    }
    // Outputs whose whole window lies in the padding, and windows wider than the image.
    cases.add(new Case(1, 5, 7, 2, 3, 3, 3, 1, 1, 1, 1, 3, 3, 3, 3, 16, false, Epilogue.SIGMOID_BIAS));
    cases.add(new Case(2, 16, 16, 4, 4, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 16, true, Epilogue.BIAS));
    check(cases, machineParams());
  }

  @Test
  void eightLaneBlocksAndPlainFallback() {
    GemmParams eight = new GemmParams(8, 6, 2, 2, 24, 24, 48);
    List<Case> cases = List.of(
        new Case(2, 12, 20, 9, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, true, Epilogue.BIAS_RESIDUAL_RELU),
        new Case(1, 7, 9, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, 8, false, Epilogue.SIGMOID_BIAS),
        // Block 16 with 8-lane vectors: plain loops.
        new Case(1, 17, 18, 6, 7, 3, 3, 1, 2, 1, 1, 1, 0, 1, 1, 16, true, Epilogue.BIAS_RESIDUAL_RELU),
        new Case(1, 17, 18, 6, 7, 3, 3, 1, 2, 1, 1, 1, 0, 1, 1, 16, false, Epilogue.SIGMOID_BIAS));
    check(cases, eight);
    check(cases.subList(2, 4), GemmParams.NONE);
  }

  @Test
  void pointwiseAndNarrowRowsSplitIntoNearEqualMicrokernels() {
    // Interiors of 7, 14 and 19 pixels: 4 + 3, 5 + 5 + 4, 5 x 3 + 4 (widths <= P = 6 at V = 4).
    check(List.of(
        conv(40, 72, 7, 1, 1, 0, Epilogue.BIAS_RESIDUAL_RELU),
        new Case(2, 24, 40, 14, 14, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.RESIDUAL),
        new Case(1, 17, 33, 17, 19, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, false, Epilogue.SIGMOID_BIAS),
        conv(3, 20, 12, 1, 1, 0, Epilogue.BIAS).nchw()), machineParams());
  }

  @Test
  void pointwiseKernelOnOddChannelsChunksAndEveryEpilogue() {
    // 1x1 / stride 1 / no pad convolutions take PointwiseConv: partial input blocks (C % 16 != 0:
    // the tail-lane loop), partial output blocks (masked epilogue), groups of unequal width,
    // planes smaller than one microkernel, batches, every epilogue, constant and run-time
    // weights; and with an L2 of 16 KiB, several weight chunks (C = 170 and 330: tiles of
    // pixels, the first and last chunk; 2 blocks per chunk at V = 4).
    List<Case> cases = new ArrayList<>();
    int[][] shapes = {{1, 8, 1, 1}, {8, 17, 3, 5}, {16, 96, 7, 7}, {24, 144, 6, 9}, {33, 24, 5, 5},
        {170, 40, 9, 11}, {330, 72, 4, 4}, {24, 16, 14, 14}, {48, 200, 2, 3}};
    Epilogue[] epilogues = Epilogue.values();
    for (int i = 0; i < shapes.length; i++) {
      int[] s = shapes[i];
      cases.add(new Case(1 + i % 2, s[0], s[1], s[2], s[3], 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, i % 3 != 2,
          epilogues[i % epilogues.length]));
    }
    cases.add(new Case(1, 24, 40, 5, 6, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.BIAS_RESIDUAL_RELU));
    cases.add(new Case(2, 170, 17, 3, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, false, Epilogue.BIAS_RESIDUAL_RELU));
    check(cases, machineParams());
    check(cases, smallL2());
    String chunkedSource = emittedSource(List.of(cases.get(5)), smallL2());
    assertTrue(chunkedSource.contains("icb += 2)"), chunkedSource);
    check(List.of(new Case(2, 12, 20, 5, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 8, true, Epilogue.BIAS_RESIDUAL_RELU),
        new Case(1, 70, 9, 4, 4, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 8, false, Epilogue.SIGMOID_BIAS)),
        new GemmParams(8, 6, 2, 2, 24, 24, 48));
    LoopProgram p = program(cases.subList(0, 3), false);
    String source = emittedSource(p);
    assertTrue(source.contains("convPoints") && source.contains("convPointEpilogue"), source);
  }

  @Test
  void pointwiseEpilogueOfBiasAndClipIsAppliedToTheAccumulatorsBeforeTheirStore() {
    // Every input block in one chunk and an epilogue of per-channel addends in a few operations:
    // the microkernels apply it in registers (no pass over the stored tile), also to a partial
    // last output block (17 and 40 channels: the pad lanes stay zero), after a tail-lane loop (C =
    // 24), on groups of unequal width (96 channels at V = 4: 4 + 2 blocks) and on 1 and 2 threads.
    List<Case> inRegisters = List.of(
        new Case(1, 16, 96, 28, 28, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.BIAS_CLIP),
        new Case(2, 24, 40, 5, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, false, Epilogue.BIAS_CLIP),
        new Case(1, 8, 17, 3, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.BIAS),
        new Case(1, 40, 24, 9, 9, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.PLAIN));
    List<ParallelExecutor> executors = List.of(ParallelExecutor.serial(), ParallelExecutor.withThreads(2));
    try {
      check(inRegisters, machineParams(), executors);
    } finally {
      executors.forEach(ParallelExecutor::close);
    }
    String source = emittedSource(program(inRegisters, false));
    assertFalse(source.contains("convPointEpilogue"), source);
    assertTrue(source.contains("c0_0 = (switch (0) {") && source.contains("clamp"), source);
    // A residual (per-pixel loads), a long epilogue (sigmoid: exp and a division) or several
    // chunks of input blocks (an L2 of 16 KiB: the accumulators reloaded per chunk) keep the pass.
    for (Case c : List.of(new Case(1, 16, 40, 5, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.RESIDUAL),
        new Case(1, 16, 40, 5, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.SIGMOID_BIAS))) {
      String pass = emittedSource(program(List.of(c), false));
      assertTrue(pass.contains("convPointEpilogue") && !pass.contains("= eAcc"), c + "\n" + pass);
    }
    Case wide = new Case(1, 170, 40, 9, 11, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.BIAS_CLIP);
    check(List.of(wide), smallL2());
    String chunkedSource = emittedSource(List.of(wide), smallL2());
    assertTrue(chunkedSource.contains("icb += 2)") && chunkedSource.contains("convPointEpilogue"), chunkedSource);
  }

  @Test
  void pointwisePixelRangesSplitEvenlyOnOneTwoAndThreeThreads() {
    // Large enough to take the parallel path (2 * MACs >= ConvGenerator.PARALLEL_FLOPS): pixel
    // ranges as many as on one thread rounded up to a multiple of the threads (BalancedSplit),
    // planes not a multiple of the microkernel, groups of unequal width (10 and 9 output blocks),
    // a partial last input block, a batch of 2, a residual; and one of a single pixel range per
    // image (8 or more groups), which stays split by groups.
    List<Case> cases = List.of(
        new Case(1, 24, 144, 28, 28, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.BIAS),
        new Case(1, 96, 160, 13, 13, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.BIAS_RESIDUAL_RELU),
        new Case(2, 40, 136, 11, 19, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, false, Epilogue.SIGMOID_BIAS),
        new Case(1, 576, 160, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.BIAS),
        // 15 groups, one pixel range: split by groups.
        new Case(1, 160, 960, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.BIAS_RESIDUAL_RELU));
    for (Case c : cases) {
      assertTrue(2L * c.batch() * c.c() * c.m() * c.h() * c.w() >= ConvGenerator.PARALLEL_FLOPS, c.toString());
    }
    List<ParallelExecutor> executors = List.of(ParallelExecutor.serial(), ParallelExecutor.withThreads(2),
        ParallelExecutor.withThreads(3));
    try {
      check(cases, machineParams(), executors);
    } finally {
      executors.forEach(ParallelExecutor::close);
    }
    LoopProgram p = program(cases, false);
    String source = emittedSource(p);
    assertTrue(source.contains("convPoints") && source.contains("BalancedSplit.parts("), source);
  }

  @Test
  void pointwiseNarrowLastGroupRunsTheRestOfARangeInOneStepWideMicrokernel() {
    // Groups narrower than the others (160 = 4 + 4 + 2 blocks: P = 12 against ranges of 6-pixel
    // steps; 260 = 4 x 4 + 1 partial block: P = 14 -> 12 and 6; 80 = 3 + 2: P = 12 -> 8), on 1,
    // 2 and 3 threads, planes not a multiple of any microkernel, odd input channels (a tail-lane
    // loop), every epilogue kind that the pointwise kernel takes, and the switch off (A/B).
    List<Case> cases = List.of(
        new Case(1, 960, 160, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.BIAS_RESIDUAL_RELU),
        new Case(1, 576, 160, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.BIAS),
        new Case(2, 45, 160, 5, 9, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, false, Epilogue.SIGMOID_BIAS),
        new Case(1, 100, 260, 13, 11, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.RESIDUAL),
        new Case(1, 33, 80, 19, 19, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.TANH),
        new Case(1, 192, 160, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, false, Epilogue.PLAIN));
    List<ParallelExecutor> executors = List.of(ParallelExecutor.serial(), ParallelExecutor.withThreads(2),
        ParallelExecutor.withThreads(3));
    try {
      check(cases, machineParams(), executors);
    } finally {
      executors.forEach(ParallelExecutor::close);
    }
    LoopProgram p = program(cases.subList(0, 1), false);
    String source = emittedSource(p);
    // The 2-block group: 12-pixel microkernels, then one 6-pixel one (was: 6 single pixels).
    assertTrue(source.contains("convPoint12x2") && source.contains("convPoint6x2"), source);
  }

  @Test
  void pointwiseMicrokernelWidthsOfANarrowGroup() {
    assertEquals(List.of(6), PointwiseConv.widths(6, 6, true));
    assertEquals(List.of(12, 6), PointwiseConv.widths(12, 6, true));
    assertEquals(List.of(12, 6), PointwiseConv.widths(14, 6, true));
    assertEquals(List.of(8), PointwiseConv.widths(12, 8, true));
    assertEquals(List.of(6), PointwiseConv.widths(8, 6, true));
    assertEquals(List.of(12), PointwiseConv.widths(12, 6, false));
    assertEquals(List.of(14), PointwiseConv.widths(14, 14, true));
  }

  @Test
  void concurrentRunsOfOnePointwiseProgramOnOneExecutorAgreeWithASerialRun() throws Exception {
    // Runs that find the executor busy run their loops on the caller, with the pixel ranges of
    // the executor's thread count: every output element is summed in the same order anyway.
    List<Case> cases = List.of(
        new Case(1, 24, 144, 28, 28, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.BIAS),
        new Case(1, 960, 320, 7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 16, true, Epilogue.BIAS_RESIDUAL_RELU));
    LoopProgram p = program(cases, false);
    ProgramCompiler.Result compiled = new ProgramCompiler(JitCompiler.create(KernelCache.inMemory(4)),
        options(machineParams())).compile(p, FrameLayout.unplanned(p));
    Map<String, Tensor> in = inputs(p, cases, 3);
    Map<String, Tensor> serial = compiled.executable().run(in, ParallelExecutor.serial());
    ParallelExecutor two = ParallelExecutor.withThreads(2);
    java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(3);
    try {
      List<java.util.concurrent.Future<Map<String, Tensor>>> runs = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        runs.add(callers.submit(() -> compiled.executable().run(in, two)));
      }
      for (var run : runs) {
        Map<String, Tensor> actual = run.get();
        for (int c = 0; c < cases.size(); c++) {
          org.junit.jupiter.api.Assertions.assertArrayEquals(serial.get("y" + c).toFloatArray(),
              actual.get("y" + c).toFloatArray(), cases.get(c).toString());
        }
      }
    } finally {
      callers.shutdownNow();
      two.close();
    }
  }

  @Test
  void nchwInputsOfTheFirstConvolution() {
    List<Case> cases = new ArrayList<>();
    // ResNet's conv1 (7x7/2, pad 3) and MobileNet's features.0 (3x3/2, pad 1), smaller images.
    cases.add(conv(3, 64, 30, 7, 2, 3, Epilogue.BIAS_RESIDUAL_RELU).nchw());
    cases.add(conv(3, 32, 23, 3, 2, 1, Epilogue.BIAS).nchw());
    cases.add(new Case(2, 3, 20, 9, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16, false, Epilogue.SIGMOID_BIAS, true));
    Random r = new Random(8);
    int[] channels = {1, 2, 3, 5, 8, 15};
    int[] outs = {1, 7, 16, 17, 40, 64};
    Epilogue[] epilogues = Epilogue.values();
    for (int t = 0; t < 18; t++) {
      int kh = 1 + r.nextInt(5);
      int kw = 1 + r.nextInt(5);
      int dh = 1 + r.nextInt(2);
      int dw = 1 + r.nextInt(3);
      int h = dh * (kh - 1) + 1 + r.nextInt(9);
      int w = dw * (kw - 1) + 1 + r.nextInt(24);
      cases.add(new Case(1 + r.nextInt(2), channels[r.nextInt(channels.length)], outs[r.nextInt(outs.length)],
          h, w, kh, kw, 1 + r.nextInt(2), 1 + r.nextInt(3), dh, dw, r.nextInt(4), r.nextInt(4), r.nextInt(3),
          r.nextInt(3), 16, r.nextBoolean(), epilogues[t % epilogues.length], true));
    }
    check(cases, machineParams());
    List<Case> eight = List.of(
        new Case(1, 3, 20, 9, 10, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 8, true, Epilogue.BIAS_RESIDUAL_RELU, true),
        new Case(2, 5, 9, 8, 13, 5, 5, 1, 2, 1, 1, 2, 2, 2, 2, 8, false, Epilogue.TANH, true));
    check(eight, new GemmParams(8, 6, 2, 2, 24, 24, 48));
    check(cases.subList(0, 3), GemmParams.NONE);
  }

  @Test
  void constantWeightsOfAnNchwInputArePackedWithOneInputLane() {
    LoopProgram p = program(List.of(conv(3, 32, 9, 3, 2, 1, Epilogue.BIAS).nchw()), false);
    PackedWeights.Result packed = PackedWeights.pack(p, machineParams());
    assertTrue(packed.packed().stream().anyMatch(b -> b.name().equals("w0.blocked16")
        && b.shape().equals(List.of(2L, 3L, 3L, 3L, 1L, 16L))), packed.packed().toString());
    assertTrue(LoopVerifier.verify(packed.program()).isEmpty(), () -> LoopVerifier.verify(packed.program()).toString());
  }

  @Test
  void borderedCopyOnNarrowPaddedImages() {
    // Padded convolutions narrower than 28 output columns read a zero-bordered copy of x: every
    // row whole microkernels of V blocks (V by the L1 rule). Widths 1 to 9, channels not a
    // multiple of 16 (partial input and output blocks, masked epilogue), pads 0 to 2 and
    // asymmetric, stride 2, dilation 2, a pad only at the bottom/right, batches, every epilogue,
    // constant and run-time weights.
    List<Case> cases = new ArrayList<>();
    Epilogue[] epilogues = Epilogue.values();
    int[] channels = {5, 16, 17, 40, 70};
    for (int w = 1; w <= 9; w++) {
      int c = channels[w % channels.length];
      int m = channels[(w + 2) % channels.length];
      cases.add(new Case(1 + w % 2, c, m, 1 + (w * 3) % 7, w, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16, w % 4 != 3,
          epilogues[w % epilogues.length]));
    }
    cases.add(new Case(1, 33, 70, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16, true, Epilogue.BIAS_RESIDUAL_RELU));
    cases.add(new Case(1, 20, 50, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16, true, Epilogue.BIAS_RESIDUAL_RELU));
    cases.add(new Case(2, 17, 33, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 16, true, Epilogue.BIAS));
    cases.add(new Case(1, 24, 20, 9, 9, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 16, false, Epilogue.SIGMOID_BIAS));
    cases.add(new Case(1, 16, 24, 6, 5, 3, 2, 1, 1, 1, 1, 2, 0, 0, 1, 16, true, Epilogue.TANH));
    cases.add(new Case(1, 8, 16, 5, 6, 2, 2, 1, 1, 1, 1, 0, 0, 1, 1, 16, true, Epilogue.RESIDUAL));
    cases.add(new Case(1, 16, 16, 2, 3, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 16, true, Epilogue.PLAIN));
    check(cases, machineParams());
    LoopProgram p = program(cases.subList(9, 11), false);
    String source = emittedSource(p);
    assertTrue(source.contains("convBorder") && !source.contains("kwLo = iw0"), source);
  }

  @Test
  void interiorMicrokernelsRunTheirTapsAsOneLoop() {
    // Every kw tap: steps t = (kh * 3 + kw) * 16 + lane in one loop over [khLo * 48, khHi * 48),
    // the input offset of step t from the static table (row kh = 1 starts 56 * 16 = 896 floats on).
    LoopProgram p = program(List.of(conv(64, 64, 56, 3, 1, 1, Epilogue.BIAS)), false);
    String source = emittedSource(p);
    assertTrue(source.contains("for (int t = khLo * 48, tEnd = khHi * 48; t < tEnd; t++)"), source);
    assertTrue(source.matches("(?s).*static final int\\[\\] convTaps = \\{0, 1, 2, .*, 47, 896, 897, .*"), source);
    // The border pixels (kw clipped) keep the loops kh, kw, lane.
    assertTrue(source.contains("for (int kw = kwLo; kw < kwHi; kw++)"), source);
  }

  @Test
  void allStepsOfAChunkAreOneLoopWhenEveryRowIsInside() {
    // An NCHW input (3 channels, one lane each) is one chunk of 3 blocks of 9 steps: rows with
    // every kh tap run the 27 steps as one loop (the table's second channel starts a plane,
    // 12 * 12 floats, on); rows with clipped taps keep a loop per channel.
    LoopProgram p = program(List.of(conv(3, 32, 12, 3, 1, 1, Epilogue.BIAS).nchw()), false);
    String source = emittedSource(p);
    assertTrue(source.contains("for (int s = 0, sEnd = icbN * 9; s < sEnd; s++)"), source);
    assertTrue(source.matches("(?s).*convTaps = \\{0, 1, 2, 12, 13, 14, 24, 25, 26, 144, 145, .*"), source);
    assertTrue(source.contains("for (int t = khLo * 3, tEnd = khHi * 3; t < tEnd; t++)"), source);
  }

  @Test
  void borderedMicrokernelsRunOverRowsAsOneSequence() {
    // 512@7^2 reads a 9-wide bordered copy: its 49 pixels per task in 9 microkernels of 5 and 6
    // pixels, those that cross a row end with input offsets that jump a row (9 * 16 floats from
    // the row's first pixel); no row loop inside a chunk.
    LoopProgram p = program(List.of(conv(512, 512, 7, 3, 1, 1, Epilogue.BIAS_RESIDUAL_RELU)), false);
    String source = emittedSource(p);
    assertTrue(source.contains("convBorder") && !source.contains("final int ih0"), source);
    // (The same calls in both branches of the group width: 8 groups of 4 blocks, the last one too.)
    long calls = source.lines().map(String::trim).filter(l -> l.matches("convMicro\\w*\\(x, xr \\+ \\d+, .*"))
        .distinct().count();
    assertEquals(9, calls, source);
    // The piece from pixel 6: (0, 6), then (1, 0) .. (1, 4): offsets 0, then 3 * 16 = 48 on.
    assertTrue(source.contains("x[xk + 0]") && source.contains("x[xk + 48]"), source);
    // Every call has every kh tap over the bordered plane: the steps' loop has a literal trip
    // count, 3 x 3 taps x 16 lanes (C2 unrolls it without pre- and post-loops).
    assertTrue(source.contains("for (int t = 0; t < 144; t++)") && !source.contains("tEnd = khHi"), source);
  }

  @Test
  void borderedCopyOnlyWhereNarrowAndPadded() {
    // 28 columns and more keep the clipped border pixels (the copy costs more than they do);
    // unpadded layers need no copy; an NCHW input never takes it.
    for (Case c : List.of(conv(16, 16, 28, 3, 1, 1, Epilogue.BIAS), conv(16, 16, 9, 3, 1, 0, Epilogue.BIAS),
        conv(3, 16, 12, 3, 1, 1, Epilogue.BIAS).nchw())) {
      LoopProgram p = program(List.of(c), false);
      String source = emittedSource(p);
      assertFalse(source.contains("convBorder"), c + ":\n" + source);
    }
  }

  @Test
  void borderedBlocksFitOneInputBlocksWeightsAndPlaneInL1() {
    // ResNet-18's 512@7^2: 4 blocks (37 KB of weights + 5 KB plane); 256@14^2: 2 (18 + 16 KB).
    long l1 = 48 << 10;
    assertEquals(4, ConvGenerator.blocks(spec(512, 7), 4, l1));
    assertEquals(2, ConvGenerator.blocks(spec(256, 14), 4, l1));
    // A plane larger than half of L1 (42^2 pixels) streams from L2 anyway: the widest V.
    assertEquals(4, ConvGenerator.blocks(spec(64, 40), 4, l1));
    assertEquals(3, ConvGenerator.blocks(spec(48, 40), 4, l1));
    assertEquals(2, ConvGenerator.blocks(spec(32, 7), 4, l1));
    assertTrue(ConvGenerator.bordered(spec(512, 7)) && ConvGenerator.bordered(spec(256, 14)));
    assertFalse(ConvGenerator.bordered(spec(128, 28)) || ConvGenerator.bordered(spec(64, 56)));
  }

  private static ConvSpec spec(int channels, int hw) {
    int blocks = (channels + 15) / 16;
    return new ConvSpec(1, blocks, hw, hw, blocks, hw, hw, 16, 16,
        new ConvGeometry(channels, channels, 3, 3, 1, 1, 1, 1, 1, 1), new Local("acc", DType.F32),
        ImmutableList.of(), true, true);
  }

  @Test
  void constantWeightsArePackedAtCompileTime() {
    Case c = conv(16, 32, 6, 3, 1, 1, Epilogue.BIAS);
    LoopProgram p = program(List.of(c), false);
    PackedWeights.Result packed = PackedWeights.pack(p, machineParams());
    assertTrue(packed.packed().stream().anyMatch(b -> b.name().equals("w0.blocked16")
        && b.shape().equals(List.of(2L, 1L, 3L, 3L, 16L, 16L))), packed.packed().toString());
    assertFalse(packed.program().constants().keySet().stream().anyMatch(b -> b.name().equals("w0")));
    String source = JavaEmitter.emit(packed.program(), FrameLayout.unplanned(packed.program()),
        options(machineParams()), packed.packed()).source();
    assertTrue(source.contains("convMicro") && !source.contains("convPack"), source);
  }

  @Test
  void inputWeightsArePackedAtRunTime() {
    Case c = conv(16, 32, 6, 3, 1, 1, Epilogue.BIAS);
    LoopProgram p = program(List.of(new Case(1, 16, 32, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16, false,
        Epilogue.PLAIN)), false);
    String source = emittedSource(p);
    assertTrue(source.contains("convPack") && source.contains(".fma("), source);
  }

  // ---- machinery ----

  /** The Java source emitted for {@code p} with this machine's GEMM parameters. */
  static String emittedSource(LoopProgram p) {
    return emittedSource(p, machineParams());
  }

  /** The Java source emitted for these cases under the given blocking. */
  static String emittedSource(List<Case> cases, GemmParams params) {
    return emittedSource(program(cases, false), params);
  }

  private static String emittedSource(LoopProgram p, GemmParams params) {
    return JavaEmitter.emit(p, FrameLayout.unplanned(p), options(params)).source();
  }

  /** The machine's blocking with an L2 of 16 KiB: a pointwise layer's input blocks come in chunks. */
  static GemmParams smallL2() {
    GemmParams m = machineParams();
    return new GemmParams(m.lanes(), m.mr(), m.nrVectors(), m.unroll(), m.kc(), m.mc(), m.nc(), m.l1(), 16 << 10);
  }

  static GemmParams machineParams() {
    return EmitOptions.defaults().withVectorize(true).gemm();
  }

  static EmitOptions options(GemmParams params) {
    return EmitOptions.defaults().withVectorize(params.enabled()).withGemm(params);
  }

  static void check(List<Case> cases, GemmParams params) {
    check(cases, params, EXECUTORS);
  }

  static void check(List<Case> cases, GemmParams params, List<ParallelExecutor> executors) {
    LoopProgram p = program(cases, false);
    LoopProgram magnitudes = program(cases, true);
    assertTrue(LoopVerifier.verify(p).isEmpty(), () -> LoopVerifier.verify(p).toString());
    EmitOptions options = options(params);
    ProgramCompiler compiler = new ProgramCompiler(JitCompiler.create(KernelCache.inMemory(4)), options);
    ProgramCompiler.Result compiled = compiler.compile(p, FrameLayout.unplanned(p));
    String source = compiled.emittedOrNull() == null ? "" : compiled.emittedOrNull().source();
    for (long seed = 1; seed <= 2; seed++) {
      Map<String, Tensor> in = inputs(p, cases, seed);
      Map<String, Tensor> expected = LoopInterpreter.run(p, in);
      Map<String, Tensor> bound = LoopInterpreter.run(magnitudes, SummationErrorBound.absolute(in));
      for (ParallelExecutor ex : executors) {
        Map<String, Tensor> actual = compiled.executable().run(in, ex);
        for (int c = 0; c < cases.size(); c++) {
          Case convCase = cases.get(c);
          SummationErrorBound.assertWithin(expected.get("y" + c), actual.get("y" + c),
              bound.get("y" + c), (long) convCase.c * convCase.kh * convCase.kw, 1,
              convCase + " with " + params + ", seed " + seed + ", " + ex.threads() + " threads",
              source);
        }
      }
    }
  }

  /** Gaussian inputs; lanes past the logical channels of blocked tensors are 0, as the layout requires. */
  private static Map<String, Tensor> inputs(LoopProgram p, List<Case> cases, long seed) {
    Random r = new Random(seed);
    Map<String, Tensor> in = new LinkedHashMap<>();
    for (Buffer b : p.inputs()) {
      float[] v = new float[b.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) r.nextGaussian();
      }
      if (b.rank() == 5 && (b.name().startsWith("x") || b.name().startsWith("z"))) {
        int x = Integer.parseInt(b.name().substring(1));
        int logical = b.name().startsWith("x") ? cases.get(x).c : cases.get(x).m;
        zeroPadLanes(v, b, logical);
      }
      in.put(b.name(), Tensor.ofFloats(b.shapeArray(), v));
    }
    return in;
  }

  private static void zeroPadLanes(float[] v, Buffer b, int logical) {
    long block = b.dim(4);
    long plane = b.dim(2) * b.dim(3) * block;
    for (int i = 0; i < v.length; i++) {
      long cBlock = (i / plane) % b.dim(1);
      if (cBlock * block + i % block >= logical) {
        v[i] = 0;
      }
    }
  }

  /**
   * One kernel per case: inputs {@code x<i>}, weights {@code w<i>}, bias {@code b<i>}, residual
   * {@code z<i>}, output {@code y<i>}. With {@code magnitudes}, the same sums without epilogue,
   * constant weights made absolute: run on |inputs| it gives sum |x| |w| for the tolerance.
   */
  static LoopProgram program(List<Case> cases, boolean magnitudes) {
    List<Buffer> inputs = new ArrayList<>();
    List<Buffer> outputs = new ArrayList<>();
    Map<Buffer, Tensor> constants = new LinkedHashMap<>();
    List<Kernel> kernels = new ArrayList<>();
    Random r = new Random(99);
    for (int i = 0; i < cases.size(); i++) {
      Case c = cases.get(i);
      int b = c.block;
      long cb = (c.c + b - 1) / b;
      long mb = (c.m + b - 1) / b;
      List<Buffer> buffers = new ArrayList<>();
      Buffer x = c.nchwInput ? Buffer.of("x" + i, DType.F32, BufferRole.INPUT, c.batch, c.c, c.h, c.w)
          : Buffer.of("x" + i, DType.F32, BufferRole.INPUT, c.batch, cb, c.h, c.w, b);
      inputs.add(x);
      buffers.add(x);
      long[] wShape = {c.m, c.c, c.kh, c.kw};
      Buffer w;
      if (c.constW) {
        w = Buffer.of("w" + i, DType.F32, BufferRole.CONSTANT, wShape);
        float[] v = new float[c.m * c.c * c.kh * c.kw];
        for (int j = 0; j < v.length; j++) {
          v[j] = (float) r.nextGaussian();
          v[j] = magnitudes ? Math.abs(v[j]) : v[j];
        }
        constants.put(w, Tensor.ofFloats(wShape, v));
      } else {
        w = Buffer.of("w" + i, DType.F32, BufferRole.INPUT, wShape);
        inputs.add(w);
      }
      buffers.add(w);
      Buffer y = Buffer.of("y" + i, DType.F32, BufferRole.OUTPUT, c.batch, mb, c.oh(), c.ow(), b);
      outputs.add(y);
      Local acc = new Local("acc", DType.F32);
      Local bias = new Local("bias", DType.F32);
      Local res = new Local("res", DType.F32);
      List<Stmt.ConvAddend> addends = new ArrayList<>();
      Expr epi = acc;
      if (!magnitudes) {
        Expr f0 = Exprs.constant(DType.F32, 0);
        Expr one = Exprs.constant(DType.F32, 1);
        boolean withBias = switch (c.epilogue) {
          case BIAS, BIAS_RESIDUAL_RELU, SIGMOID_BIAS, BIAS_CLIP -> true;
          default -> false;
        };
        if (withBias) {
          addends.add(new Stmt.ConvAddend(bias, Buffer.of("b" + i, DType.F32, BufferRole.INPUT, c.m), true));
          epi = Exprs.add(epi, bias);
        }
        if (c.epilogue == Epilogue.RESIDUAL || c.epilogue == Epilogue.BIAS_RESIDUAL_RELU) {
          addends.add(new Stmt.ConvAddend(res, Buffer.of("z" + i, DType.F32, BufferRole.INPUT, y.shapeArray()),
              false));
          epi = Exprs.add(epi, res);
        }
        epi = switch (c.epilogue) {
          case BIAS_RESIDUAL_RELU -> Exprs.binary(BinaryOp.MAX, epi, f0);
          case SIGMOID_BIAS -> Exprs.binary(BinaryOp.DIV, one, Exprs.add(one,
              Exprs.call(Intrinsic.EXP, Exprs.sub(f0, epi))));
          case TANH -> Exprs.call(Intrinsic.TANH, epi);
          case BIAS_CLIP -> Exprs.binary(BinaryOp.MIN, Exprs.binary(BinaryOp.MAX, epi, Exprs.constant(DType.F32, 0.25)),
              Exprs.constant(DType.F32, 6));
          default -> epi;
        };
        for (Stmt.ConvAddend a : addends) {
          inputs.add(a.buffer());
          buffers.add(a.buffer());
        }
      }
      buffers.add(y);
      ConvGeometry g = new ConvGeometry(c.c, c.m, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, c.pt, c.pl);
      Stmt conv = new Stmt.BlockedConv(x, w, y, g, acc, ImmutableList.copyOf(addends), epi);
      kernels.add(new Kernel("conv" + i, ImmutableList.copyOf(buffers), conv, "case " + c));
    }
    return new LoopProgram("conv", ImmutableList.copyOf(inputs), ImmutableList.copyOf(outputs),
        ImmutableMap.copyOf(constants), ImmutableList.of(), ImmutableList.copyOf(kernels));
  }
}
