package dev.kiln.codegen.conv;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.codegen.compile.ProgramCompiler;
import dev.kiln.codegen.emit.EmitOptions;
import dev.kiln.codegen.jit.JitCompiler;
import dev.kiln.codegen.jit.KernelCache;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.ConvGeometry;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.compiled.CompiledProgram;
import dev.kiln.runtime.compiled.ExecutableProgram;
import dev.kiln.runtime.compiled.Frame;
import dev.kiln.runtime.compiled.FrameLayout;
import dev.kiln.runtime.compiled.ParallelExecutor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;

/**
 * Throughput of the generated blocked direct convolution, not a test: for each
 * {@code CxHxW:MxKHxKW[:sS][:nchw]} argument (pad K/2, constant weights, bias and ReLU; with
 * {@code nchw}, the input is NCHW, as the first convolution of an image network), p10 and median
 * of the thread CPU time of one run at 1 thread, and GFLOP/s of the logical convolution. Run as
 * {@code java --add-modules jdk.incubator.vector -cp ... dev.kiln.codegen.conv.ConvBench
 * 64x56x56:64x3x3 ...}.
 */
public final class ConvBench {
  private ConvBench() {}

  public static void main(String[] args) throws Exception {
    EmitOptions options = EmitOptions.defaults().withVectorize(true);
    ProgramCompiler compiler = new ProgramCompiler(JitCompiler.create(KernelCache.inMemory(16)), options);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    for (String arg : args) {
      String[] parts = arg.split(":");
      String[] in = parts[0].split("x");
      String[] f = parts[1].split("x");
      int c = Integer.parseInt(in[0]);
      int h = Integer.parseInt(in[1]);
      int w = Integer.parseInt(in[2]);
      int m = Integer.parseInt(f[0]);
      int k = Integer.parseInt(f[1]);
      int s = parts.length > 2 && parts[2].startsWith("s") ? Integer.parseInt(parts[2].substring(1)) : 1;
      boolean nchw = arg.endsWith(":nchw");
      int pad = k / 2;
      int oh = (h + 2 * pad - k) / s + 1;
      int ow = (w + 2 * pad - k) / s + 1;
      LoopProgram p = program(c, h, w, m, k, s, pad, oh, ow, nchw);
      ProgramCompiler.Result result = compiler.compile(p, FrameLayout.unplanned(p));
      if (System.getProperty("kiln.bench.dumpSource") != null && result.emittedOrNull() != null) {
        java.nio.file.Files.writeString(java.nio.file.Path.of(System.getProperty("kiln.bench.dumpSource")),
            result.emittedOrNull().source());
      }
      CompiledProgram program = (CompiledProgram) result.unit().loadedClass(options.qualifiedClassName())
          .getConstructor().newInstance();
      Random r = new Random(1);
      FrameLayout layout = result.executable().layout();
      Object[] arrays = new Object[layout.slots().size()];
      for (int i = 0; i < arrays.length; i++) {
        Buffer b = layout.slots().get(i).buffer();
        Tensor t = result.program().constants().get(b);
        arrays[i] = t != null ? ExecutableProgram.toArray(t) : ExecutableProgram.toArray(random(r, b.shapeArray()));
      }
      try (ParallelExecutor ex = ParallelExecutor.withThreads(1)) {
        Frame frame = new Frame(arrays, new int[arrays.length], ex);
        double flops = 2.0 * m * c * k * k * oh * ow;
        int reps = (int) Math.max(20, Math.min(2000, 2e10 / flops));
        // At least 3 s of warm-up: on a loaded machine C2 may take seconds to compile the kernel,
        // and timing its C1 code would be meaningless.
        long warm = System.nanoTime() + Long.getLong("kiln.bench.warmSeconds", 3) * 1_000_000_000L;
        for (int i = 0; i < reps * 3 || System.nanoTime() < warm; i++) {
          program.run(frame);
        }
        for (int round = Integer.getInteger("kiln.bench.rounds", 1); round > 0; round--) {
          long[] cpu = new long[reps];
          for (int i = 0; i < reps; i++) {
            long c0 = mx.getCurrentThreadCpuTime();
            program.run(frame);
            cpu[i] = mx.getCurrentThreadCpuTime() - c0;
          }
          Arrays.sort(cpu);
          double p10 = cpu[reps / 10];
          double med = cpu[reps / 2];
          System.out.printf("%s  1 thr  cpu p10 %.3f ms (%.1f GFLOP/s)  median %.3f ms (%.1f GFLOP/s)%n", arg,
              p10 / 1e6, flops / p10, med / 1e6, flops / med);
        }
      }
    }
  }

  static LoopProgram program(int c, int h, int w, int m, int k, int s, int pad, int oh, int ow, boolean nchw) {
    int b = 16;
    Buffer x = nchw ? Buffer.of("x", DType.F32, BufferRole.INPUT, 1, c, h, w)
        : Buffer.of("x", DType.F32, BufferRole.INPUT, 1, (c + b - 1) / b, h, w, b);
    Buffer wt = Buffer.of("w", DType.F32, BufferRole.CONSTANT, m, c, k, k);
    Buffer bias = Buffer.of("bias", DType.F32, BufferRole.CONSTANT, m);
    Buffer y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 1, (m + b - 1) / b, oh, ow, b);
    Local acc = new Local("acc", DType.F32);
    Local bl = new Local("b", DType.F32);
    Stmt conv = new Stmt.BlockedConv(x, wt, y, new ConvGeometry(c, m, k, k, s, s, 1, 1, pad, pad), acc,
        ImmutableList.of(new Stmt.ConvAddend(bl, bias, true)),
        Exprs.binary(BinaryOp.MAX, Exprs.add(acc, bl), Exprs.constant(DType.F32, 0)));
    Random r = new Random(2);
    return new LoopProgram("bench", ImmutableList.of(x), ImmutableList.of(y),
        ImmutableMap.of(wt, random(r, wt.shapeArray()), bias, random(r, bias.shapeArray())),
        ImmutableList.of(), ImmutableList.of(new Kernel("conv", ImmutableList.of(x, wt, bias, y), conv, "Conv")));
  }

  static Tensor random(Random r, long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    float[] v = new float[(int) n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return Tensor.ofFloats(shape, v);
  }
}
