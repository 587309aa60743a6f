package dev.kiln.codegen.gemm;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.codegen.compile.ProgramCompiler;
import dev.kiln.codegen.emit.EmitOptions;
import dev.kiln.codegen.jit.JitCompiler;
import dev.kiln.codegen.jit.KernelCache;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.MatrixOperand;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.compiled.CompiledProgram;
import dev.kiln.runtime.compiled.ExecutableProgram;
import dev.kiln.runtime.compiled.Frame;
import dev.kiln.runtime.compiled.FrameLayout;
import dev.kiln.runtime.compiled.ParallelExecutor;
import java.util.Arrays;
import java.util.Random;

/**
 * GEMM throughput of the generated code, not a test: {@code c = a * b} for each {@code MxNxK}
 * argument at 1 and 2 threads, median GFLOP/s over repeated runs (warm-up first). Run as
 * {@code java --add-modules jdk.incubator.vector -cp ... dev.kiln.codegen.gemm.GemmBench
 * [--const-b] 1024x1024x1024 ...}.
 */
public final class GemmBench {
  private GemmBench() {}

  public static void main(String[] args) {
    boolean constB = Arrays.asList(args).contains("--const-b");
    EmitOptions options = EmitOptions.defaults().withVectorize(true);
    // -Dgemm.params=mr,nrVectors,unroll,kc,mc,nc overrides the machine's blocking (for tuning).
    String override = System.getProperty("gemm.params");
    if (override != null) {
      int[] v = Arrays.stream(override.split(",")).mapToInt(Integer::parseInt).toArray();
      GemmParams g = options.effectiveGemm();
      options = options.withGemm(new GemmParams(g.lanes(), v[0], v[1], v[2], v[3], v[4], v[5], g.l1(), g.l2()));
    }
    System.out.println(options.effectiveGemm() + (constB ? ", B constant" : ", B an input"));
    ProgramCompiler compiler = new ProgramCompiler(JitCompiler.create(KernelCache.inMemory(16)), options);
    for (String arg : args) {
      if (arg.startsWith("--")) {
        continue;
      }
      String[] d = arg.split("x");
      int m = Integer.parseInt(d[0]);
      int n = Integer.parseInt(d[1]);
      int k = Integer.parseInt(d[2]);
      LoopProgram p = program(m, n, k, constB);
      ProgramCompiler.Result result = compiler.compile(p, FrameLayout.unplanned(p));
      CompiledProgram program;
      try {
        program = (CompiledProgram) result.unit().loadedClass(options.qualifiedClassName())
            .getConstructor().newInstance();
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
      // The frame is built once: runs time the generated code only, not copying tensors in and out.
      Random r = new Random(1);
      FrameLayout layout = result.executable().layout();
      Object[] arrays = new Object[layout.slots().size()];
      for (int s = 0; s < arrays.length; s++) {
        Buffer b = layout.slots().get(s).buffer();
        Tensor t = result.program().constants().get(b);
        arrays[s] = t != null ? ExecutableProgram.toArray(t)
            : ExecutableProgram.toArray(random(r, 1, (int) b.size()));
      }
      int[] threadCounts = Arrays.asList(args).contains("--one-thread") ? new int[] {1} : new int[] {1, 2};
      for (int threads : threadCounts) {
        try (ParallelExecutor ex = ParallelExecutor.withThreads(threads)) {
          Frame frame = new Frame(arrays, new int[arrays.length], ex);
          Runnable exe = () -> program.run(frame);
          double flops = 2.0 * m * n * k;
          int reps = (int) Math.max(5, Math.min(2000, 3e10 / flops));
          long[] times = new long[reps];
          for (int w = 0; w < reps * 2; w++) {
            exe.run();
          }
          long[] cpu = new long[reps];
          java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
          for (int i = 0; i < reps; i++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            exe.run();
            times[i] = System.nanoTime() - t0;
            cpu[i] = mx.getCurrentThreadCpuTime() - c0;
          }
          Arrays.sort(times);
          Arrays.sort(cpu);
          double med = times[reps / 2];
          double best = times[0];
          // On one thread the GEMM runs on this thread: its CPU time excludes time lost to other
          // processes (the shared machine), though not their use of the caches.
          String cpuText = threads == 1 ? String.format("  cpu median %.1f p10 %.1f GFLOP/s",
              flops / cpu[reps / 2], flops / cpu[reps / 10]) : "";
          System.out.printf("%dx%dx%d  %d thr  median %.3f ms  %.1f GFLOP/s  p10 %.1f  best %.1f GFLOP/s%s%n",
              m, n, k, threads, med / 1e6, flops / med, flops / times[reps / 10], flops / best, cpuText);
        }
      }
    }
  }

  static LoopProgram program(int m, int n, int k, boolean constB) {
    Buffer a = Buffer.of("a", DType.F32, BufferRole.INPUT, m, k);
    Buffer b = Buffer.of("b", DType.F32, constB ? BufferRole.CONSTANT : BufferRole.INPUT, k, n);
    Buffer c = Buffer.of("c", DType.F32, BufferRole.OUTPUT, m, n);
    Stmt mm = Stmt.Matmul.plain(MatrixOperand.rowMajor(a, k), MatrixOperand.rowMajor(b, n),
        MatrixOperand.rowMajor(c, n), m, n, k, new Local("acc", DType.F32));
    Kernel kernel = new Kernel("mm", ImmutableList.of(a, b, c), mm, "MatMul");
    return new LoopProgram("bench", constB ? ImmutableList.of(a) : ImmutableList.of(a, b),
        ImmutableList.of(c), constB ? ImmutableMap.of(b, random(new Random(2), k, n)) : ImmutableMap.of(),
        ImmutableList.of(), ImmutableList.of(kernel));
  }

  static Tensor random(Random r, int rows, int cols) {
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return Tensor.ofFloats(new long[] {rows, cols}, v);
  }
}
