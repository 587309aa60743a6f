package dev.kiln.api;

import dev.kiln.codegen.compile.ProgramCompiler;
import dev.kiln.codegen.emit.EmitOptions;
import dev.kiln.codegen.jit.JitCompiler;
import dev.kiln.codegen.jit.KernelCache;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.passes.lower.GraphToLoops;
import dev.kiln.passes.memory.MemoryPlan;
import dev.kiln.passes.memory.MemoryPlanner;
import dev.kiln.passes.shape.BindShapes;
import dev.kiln.passes.shape.ShapeBindingException;
import dev.kiln.runtime.compiled.CompiledModel;
import dev.kiln.runtime.compiled.ExecutableProgram;
import dev.kiln.runtime.compiled.FrameLayout;
import dev.kiln.runtime.compiled.ParallelExecutor;
import dev.kiln.runtime.compiled.Storage;
import dev.kiln.runtime.interpreter.RunException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The compile path for one model: per input-shape signature, bind the shapes
 * ({@link BindShapes}), lower to loops ({@link GraphToLoops}), plan scratch memory
 * ({@link MemoryPlanner}) and compile ({@link ProgramCompiler}); the {@link CompiledModel} runs
 * and caches the results.
 */
final class CompiledEngine {
  /** One JIT per cache directory (or none) per process, so models share compiled kernels. */
  private static final Map<Optional<Path>, JitCompiler> JITS = new ConcurrentHashMap<>();
  /** One pool per thread count per process: pools are costly, and daemon threads never exit. */
  private static final Map<Integer, ParallelExecutor> POOLS = new ConcurrentHashMap<>();

  private CompiledEngine() {}

  /** What one specialization did; for the CLI's --verbose and for documentation figures. */
  record Report(Map<String, long[]> shapes, LoopProgram program, MemoryPlan memory,
      ProgramCompiler.Result result, long lowerNanos, long compileNanos) {}

  static CompiledModel create(Graph graph, ModelOptions options, Consumer<Report> reports) {
    ProgramCompiler compiler = compiler(options);
    ParallelExecutor pool = pool(options.threads());
    return new CompiledModel(graph.inputs(), graph.outputs(), shapes -> {
      Report report = specialize(graph, compiler, shapes);
      reports.accept(report);
      return report.result().executable();
    }, pool);
  }

  /** The compiler of {@code options}: the shared JIT of its cache directory, its emit options. */
  static ProgramCompiler compiler(ModelOptions options) {
    return new ProgramCompiler(jit(options.cacheDirectory()),
        EmitOptions.defaults().withVectorize(options.optimizationLevel() >= 1
            && EmitOptions.vectorApiAvailable()));
  }

  /** The process-wide pool of {@code threads} threads. */
  static ParallelExecutor pool(int threads) {
    return POOLS.computeIfAbsent(threads, ParallelExecutor::withThreads);
  }

  /**
   * Compiles {@code graph} for one set of concrete input shapes; the JIT path and ahead-of-time
   * artifacts ({@link ArtifactCompiler}) both come through here, so they run the same code.
   *
   * @throws RunException when the model cannot take these shapes
   */
  static Report specialize(Graph graph, ProgramCompiler compiler, Map<String, long[]> shapes) {
    long start = System.nanoTime();
    Graph bound;
    try {
      bound = BindShapes.bind(graph, shapes);
    } catch (ShapeBindingException e) {
      throw new RunException(e.getMessage());
    }
    LoopProgram program = GraphToLoops.lower(bound);
    MemoryPlan plan = MemoryPlanner.plan(program, d -> Storage.of(d).name().toLowerCase(java.util.Locale.ROOT),
        MemoryPlanner.DEFAULT_ALIGNMENT);
    Map<dev.kiln.ir.loop.Buffer, Integer> offsets = new java.util.HashMap<>();
    program.scratch().forEach(b -> offsets.put(b, plan.elementOffset(b)));
    FrameLayout layout = FrameLayout.of(program, offsets);
    long lowered = System.nanoTime();
    ProgramCompiler.Result result = compiler.compile(program, layout);
    long done = System.nanoTime();
    return new Report(shapes, program, plan, result, lowered - start, done - lowered);
  }

  private static JitCompiler jit(Optional<Path> cacheDirectory) {
    return JITS.computeIfAbsent(cacheDirectory, dir -> JitCompiler.create(dir
        .map(d -> KernelCache.withDisk(256, d))
        .orElseGet(() -> KernelCache.inMemory(256))));
  }

}
