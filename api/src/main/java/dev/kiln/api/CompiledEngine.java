package dev.kiln.api;

import dev.kiln.codegen.compile.ProgramCompiler;
import dev.kiln.codegen.emit.EmitOptions;
import dev.kiln.codegen.jit.JitCompiler;
import dev.kiln.codegen.jit.KernelCache;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.graph.Node;
import dev.kiln.passes.lower.GraphToLoops;
import dev.kiln.passes.lower.LoweringRegistry;
import dev.kiln.passes.schedule.ScheduleOptions;
import dev.kiln.passes.schedule.Scheduler;
import java.util.List;
import dev.kiln.passes.memory.MemoryPlan;
import dev.kiln.passes.memory.MemoryPlanner;
import dev.kiln.passes.shape.BindShapes;
import dev.kiln.passes.shape.CompileTimeInputs;
import dev.kiln.ir.tensor.Tensor;
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
 * and caches the results. Inputs whose values decide shapes ({@link CompileTimeInputs}) are part
 * of the signature: their values are bound as constants too.
 */
final class CompiledEngine {
  /** One JIT per cache directory (or none) per process, so models share compiled kernels. */
  private static final Map<Optional<Path>, JitCompiler> JITS = new ConcurrentHashMap<>();
  /** One pool per thread count per process: pools are costly, and daemon threads never exit. */
  private static final Map<Integer, ParallelExecutor> POOLS = new ConcurrentHashMap<>();

  private CompiledEngine() {}

  /** What one specialization did; for the CLI's --verbose and for documentation figures. */
  record Report(Map<String, long[]> shapes, Map<String, Tensor> values, LoopProgram program,
      MemoryPlan memory,
      ProgramCompiler.Result result, long lowerNanos, long compileNanos) {}

  static CompiledModel create(Graph graph, ModelOptions options, Consumer<Report> reports) {
    Pipeline pipeline = pipeline(options);
    ParallelExecutor pool = pool(options.threads());
    return new CompiledModel(graph.inputs(), graph.outputs(), CompileTimeInputs.of(graph),
        (shapes, values) -> {
      Report report = specialize(graph, pipeline, shapes, values);
      reports.accept(report);
      return report.result().executable();
    }, pool);
  }

  /**
   * What turns a bound graph into code under one set of options.
   *
   * @param scheduler the schedules applied after lowering; null at optimization level 0
   */
  record Pipeline(ProgramCompiler compiler, Scheduler scheduler) {}

  /** The pipeline of {@code options}: the shared JIT of its cache directory, emit options, schedules. */
  static Pipeline pipeline(ModelOptions options) {
    boolean optimize = options.optimizationLevel() >= 1;
    EmitOptions emit = EmitOptions.defaults().withVectorize(optimize && EmitOptions.vectorApiAvailable());
    ProgramCompiler compiler = new ProgramCompiler(jit(options.cacheDirectory()), emit);
    Scheduler scheduler = null;
    if (optimize) {
      scheduler = Scheduler.defaults(ScheduleOptions.withLanes(Math.max(1, ProgramCompiler.floatLanes(emit))));
      for (var custom : options.opSchedules().entrySet()) {
        scheduler = scheduler.withOp(custom.getKey(), custom.getValue());
      }
    }
    return new Pipeline(compiler, scheduler);
  }

  /** The process-wide pool of {@code threads} threads. */
  static ParallelExecutor pool(int threads) {
    return POOLS.computeIfAbsent(threads, ParallelExecutor::withThreads);
  }

  /**
   * Compiles {@code graph} for one set of concrete input shapes (and the values of the inputs
   * that decide shapes, if any); the JIT path and ahead-of-time artifacts
   * ({@link ArtifactCompiler}) both come through here, so they run the same code.
   *
   * @throws RunException when the model cannot take these shapes or has an operator without a
   *     lowering
   */
  static Report specialize(Graph graph, Pipeline pipeline, Map<String, long[]> shapes,
      Map<String, Tensor> values) {
    checkLowerable(graph);
    long start = System.nanoTime();
    Graph bound;
    try {
      bound = BindShapes.bind(graph, shapes, values);
    } catch (ShapeBindingException e) {
      throw new RunException(e.getMessage());
    }
    LoopProgram lowered = GraphToLoops.lower(bound);
    LoopProgram program = pipeline.scheduler() == null ? lowered : pipeline.scheduler().apply(lowered);
    MemoryPlan plan = MemoryPlanner.plan(program, d -> Storage.of(d).name().toLowerCase(java.util.Locale.ROOT),
        MemoryPlanner.DEFAULT_ALIGNMENT);
    Map<dev.kiln.ir.loop.Buffer, Integer> offsets = new java.util.HashMap<>();
    program.scratch().forEach(b -> offsets.put(b, plan.elementOffset(b)));
    FrameLayout layout = FrameLayout.of(program, offsets);
    long loweredAt = System.nanoTime();
    ProgramCompiler.Result result = pipeline.compiler().compile(program, layout);
    long done = System.nanoTime();
    return new Report(shapes, values, program, plan, result, loweredAt - start, done - loweredAt);
  }

  /** An operator without a lowering is a limitation of this engine, said plainly. */
  private static void checkLowerable(Graph graph) {
    LoweringRegistry lowerings = LoweringRegistry.standard();
    List<String> missing = graph.nodes().stream().map(Node::op)
        .filter(op -> lowerings.lookup(op).isEmpty()).distinct().sorted().toList();
    if (!missing.isEmpty()) {
      throw new RunException("the compiled engine cannot run " + String.join(", ", missing)
          + " yet (no lowering to loop IR); use the interpreter engine (--engine interpreter, "
          + "or ModelOptions.Engine.INTERPRETER)");
    }
  }

  private static JitCompiler jit(Optional<Path> cacheDirectory) {
    return JITS.computeIfAbsent(cacheDirectory, dir -> JitCompiler.create(dir
        .map(d -> KernelCache.withDisk(256, d))
        .orElseGet(() -> KernelCache.inMemory(256))));
  }

}
