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
import dev.kiln.runtime.compiled.ExecutableProgram;
import dev.kiln.runtime.compiled.FrameLayout;
import dev.kiln.runtime.compiled.ParallelExecutor;
import java.util.Arrays;
import java.util.Map;
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
      ExecutableProgram exe = compiler.compile(p, FrameLayout.unplanned(p)).executable();
      Random r = new Random(1);
      Map<String, Tensor> in = constB ? Map.of("a", random(r, m, k))
          : Map.of("a", random(r, m, k), "b", random(r, k, n));
      for (int threads : new int[] {1, 2}) {
        try (ParallelExecutor ex = ParallelExecutor.withThreads(threads)) {
          double flops = 2.0 * m * n * k;
          int reps = (int) Math.max(5, Math.min(2000, 3e10 / flops));
          long[] times = new long[reps];
          for (int w = 0; w < reps * 2; w++) {
            exe.run(in, ex);
          }
          for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            exe.run(in, ex);
            times[i] = System.nanoTime() - t0;
          }
          Arrays.sort(times);
          double med = times[reps / 2];
          System.out.printf("%dx%dx%d  %d thr  %.3f ms  %.1f GFLOP/s%n", m, n, k, threads, med / 1e6,
              flops / med);
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
