package dev.kiln.codegen.emit;

import dev.kiln.codegen.compile.ProgramCompiler;
import dev.kiln.codegen.jit.JitCompiler;
import dev.kiln.codegen.jit.KernelCache;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.compiled.ExecutableProgram;
import dev.kiln.runtime.compiled.FrameLayout;
import dev.kiln.runtime.compiled.ParallelExecutor;
import dev.kiln.runtime.loop.LoopInterpreter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Helpers for differential tests: random inputs, compile-and-run, the oracle. */
final class Programs {
  static final ParallelExecutor THREE_THREADS = ParallelExecutor.withThreads(3);

  private Programs() {}

  static EmittedProgram emit(LoopProgram p) {
    return JavaEmitter.emit(p, FrameLayout.unplanned(p), EmitOptions.defaults().withVectorize(true));
  }

  static final ProgramCompiler COMPILER = new ProgramCompiler(
      JitCompiler.create(KernelCache.inMemory(64)), EmitOptions.defaults().withVectorize(true));

  /** Compiles through the JIT facade (the emitter runs again inside on a miss). */
  static Map<String, Tensor> runCompiled(LoopProgram p, EmittedProgram emitted, Map<String, Tensor> inputs) {
    ExecutableProgram exe = COMPILER.compile(p, emitted.layout()).executable();
    return exe.run(inputs, THREE_THREADS);
  }

  static Map<String, Tensor> randomInputs(LoopProgram p, long seed) {
    Random r = new Random(seed);
    Map<String, Tensor> in = new LinkedHashMap<>();
    p.inputs().forEach(b -> in.put(b.name(), random(b.dtype(), b.shapeArray(), r)));
    return in;
  }

  static Tensor random(DType t, long[] shape, Random r) {
    TensorWriter w = TensorWriter.of(t, shape);
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    for (long i = 0; i < n; i++) {
      if (t.isFloating()) {
        w.setDouble(i, r.nextGaussian() * 3);
      } else if (t == DType.BOOL) {
        w.setBoolean(i, r.nextBoolean());
      } else {
        w.setLong(i, r.nextLong());
      }
    }
    return w.build();
  }

  /** Compiled and interpreted results agree bit for bit. */
  static void assertSameAsInterpreter(LoopProgram p, long seed) {
    Map<String, Tensor> in = randomInputs(p, seed);
    EmittedProgram emitted = emit(p);
    Map<String, Tensor> expected = LoopInterpreter.run(p, in);
    Map<String, Tensor> actual = runCompiled(p, emitted, in);
    if (!expected.equals(actual)) {
      throw new AssertionError("seed " + seed + ": compiled " + actual + "\nbut interpreter "
          + expected + "\nsource:\n" + emitted.source());
    }
  }

  /**
   * Compiled and interpreted f32 results agree within {@code tol * (1 + |expected|)} per element
   * (for code that reassociates sums, as the generated GEMM does).
   */
  static void assertCloseToInterpreter(LoopProgram p, long seed, double tol) {
    Map<String, Tensor> in = randomInputs(p, seed);
    EmittedProgram emitted = emit(p);
    Map<String, Tensor> expected = LoopInterpreter.run(p, in);
    Map<String, Tensor> actual = runCompiled(p, emitted, in);
    for (Map.Entry<String, Tensor> e : expected.entrySet()) {
      float[] x = e.getValue().toFloatArray();
      float[] y = actual.get(e.getKey()).toFloatArray();
      for (int i = 0; i < x.length; i++) {
        if (!(Math.abs(x[i] - y[i]) <= tol * (1 + Math.abs(x[i])))) {
          throw new AssertionError("seed " + seed + ": " + e.getKey() + " element " + i + " is " + y[i]
              + ", expected " + x[i] + "\nsource:\n" + emitted.source());
        }
      }
    }
  }
}
