package dev.kiln.api;

import dev.kiln.codegen.compile.ProgramCompiler;
import dev.kiln.codegen.emit.EmitOptions;
import dev.kiln.codegen.jit.JitCompiler;
import dev.kiln.codegen.jit.KernelCache;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.graph.Node;
import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.passes.pipeline.Ir;
import dev.kiln.passes.pipeline.IrLevel;
import dev.kiln.passes.pipeline.PassContext;
import dev.kiln.passes.pipeline.PassException;
import dev.kiln.passes.pipeline.PassManager;
import dev.kiln.passes.pipeline.PassRegistry;
import dev.kiln.passes.pipeline.PipelineException;
import dev.kiln.passes.pipeline.PrintIrInstrument;
import dev.kiln.passes.pipeline.StandardPasses;
import dev.kiln.passes.pipeline.TimingInstrument;
import dev.kiln.passes.pipeline.stages.PlanMemoryPass;
import dev.kiln.passes.pipeline.stages.SchedulePass;
import dev.kiln.passes.lower.LoweringRegistry;
import java.util.List;
import dev.kiln.passes.memory.MemoryPlan;
import dev.kiln.passes.shape.CompileTimeInputs;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.passes.shape.ShapeBindingException;
import dev.kiln.runtime.compiled.CompiledModel;
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
 * The compile path for one model: per input-shape signature, run the pass pipeline (bind the
 * shapes, graph passes, lower to loops, schedule, plan scratch memory; see {@link PassManager})
 * and compile ({@link ProgramCompiler}); the {@link CompiledModel} runs and caches the results.
 * Inputs whose values decide shapes ({@link CompileTimeInputs}) are part of the signature: their
 * values are bound as constants too.
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

  static CompiledModel create(KilnModel source, Optional<Path> baseDir, ModelOptions options,
      Consumer<Report> reports) {
    Pipeline pipeline = pipeline(options, source, baseDir);
    ParallelExecutor pool = pool(options.threads());
    Graph graph = source.graph();
    return new CompiledModel(graph.inputs(), graph.outputs(), CompileTimeInputs.of(graph),
        (shapes, values) -> {
      Report report = specialize(graph, pipeline, shapes, values);
      reports.accept(report);
      return report.result().executable();
    }, pool);
  }

  /**
   * What turns a graph into code under one set of options: the pass manager (from bind-shapes to
   * the memory plan) and the compiler.
   */
  record Pipeline(ProgramCompiler compiler, PassManager passes, int floatLanes, PipelineOptions options) {}

  /**
   * The pipeline of {@code options}: the passes (written, or the optimization level's preset)
   * completed to planned loop IR, the shared JIT of the cache directory, the emit options.
   *
   * @throws PipelineException when the pipeline text is wrong
   * @throws dev.kiln.passes.pipeline.PluginException when a plugin jar cannot be used
   */
  static Pipeline pipeline(ModelOptions options, KilnModel source, Optional<Path> baseDir) {
    PipelineOptions po = options.pipelineOptions();
    PassRegistry registry = registry(options);
    dev.kiln.passes.pipeline.Pipeline complete = complete(written(options, registry), registry,
        options.optimizationLevel());
    // Only a pipeline with loop passes can vectorize loops; O0's code stays scalar as before.
    boolean loopPasses = complete.passes().stream().anyMatch(p -> p.info().input() == IrLevel.LOOPS
        && !p.info().argument().equals("plan-memory"));
    EmitOptions emit = EmitOptions.defaults().withVectorize(loopPasses && EmitOptions.vectorApiAvailable());
    ProgramCompiler compiler = new ProgramCompiler(jit(options.cacheDirectory()), emit);
    return new Pipeline(compiler, manager(complete, registry, po, source, baseDir),
        Math.max(1, ProgramCompiler.floatLanes(emit)), po);
  }

  /** The pipeline as written in {@code options}: the object, the text, or the level's preset. */
  static dev.kiln.passes.pipeline.Pipeline written(ModelOptions options, PassRegistry registry) {
    PipelineOptions po = options.pipelineOptions();
    return po.pipeline().orElseGet(() ->
        registry.parse(po.passes().orElse(StandardPasses.preset(options.optimizationLevel()))));
  }

  /** A pass manager for {@code pipeline} with the instruments {@code po} asks for. */
  static PassManager manager(dev.kiln.passes.pipeline.Pipeline pipeline, PassRegistry registry,
      PipelineOptions po, KilnModel source, Optional<Path> baseDir) {
    for (String name : po.printIrAfter()) {
      if (registry.pass(name).isEmpty()) {
        List<String> near = registry.nearMatches(name);
        throw new PassException("--print-ir-after: no pass is named '" + name + "'" + (near.isEmpty() ? ""
            : " (did you mean " + String.join(" or ", near.stream().map(n -> "'" + n + "'").toList()) + "?)"));
      }
    }
    PassManager.Builder manager = PassManager.builder(pipeline)
        .verifyEach(po.verifyEach())
        .printer(new IrPrinters(source, baseDir))
        .reproducerDirectory(po.reproducerDirectory());
    IrPrinters dumps = new IrPrinters(source, baseDir);
    if (po.printIrAfterAll() || !po.printIrAfter().isEmpty() || po.printIrAfterChange()) {
      PrintIrInstrument.Mode mode = po.printIrAfterAll() ? PrintIrInstrument.Mode.ALL
          : po.printIrAfterChange() ? PrintIrInstrument.Mode.CHANGED : PrintIrInstrument.Mode.NAMED;
      manager.instrument(new PrintIrInstrument(mode, po.printIrAfter(), dumps, po.diagnostics()));
    }
    if (po.timePasses()) {
      manager.instrument(new TimingInstrument(po.diagnostics()));
    }
    return manager.build();
  }

  /** The standard passes, the plugins' passes, and the stages configured by {@code options}. */
  static PassRegistry registry(ModelOptions options) {
    PassRegistry base = PassRegistry.standard().withPlugins(options.pipelineOptions().plugins());
    return base.toBuilder()
        .replace(SchedulePass.info(options.opSchedules()))
        .replace(PlanMemoryPass.info(d -> Storage.of(d).name().toLowerCase(java.util.Locale.ROOT)))
        .build();
  }

  /**
   * A pipeline that stops at graph IR gets the loop stages of the optimization level
   * ({@code bind-shapes} if missing, {@code lower-graph-to-loops}, {@code schedule} above level
   * 0, {@code plan-memory}); one that stops at loop IR without {@code plan-memory} gets it.
   */
  static dev.kiln.passes.pipeline.Pipeline complete(dev.kiln.passes.pipeline.Pipeline p, PassRegistry registry,
      int level) {
    List<dev.kiln.passes.pipeline.Pipeline.Step> more = new java.util.ArrayList<>();
    if (p.outputLevel() == IrLevel.GRAPH) {
      if (!p.contains("bind-shapes")) {
        more.add(dev.kiln.passes.pipeline.Pipeline.step(registry, "bind-shapes", Map.of()));
      }
      more.add(dev.kiln.passes.pipeline.Pipeline.step(registry, "lower-graph-to-loops", Map.of()));
      if (level >= 1) {
        more.add(dev.kiln.passes.pipeline.Pipeline.step(registry, "schedule", Map.of()));
      }
    }
    if (!p.contains("plan-memory")) {
      more.add(dev.kiln.passes.pipeline.Pipeline.step(registry, "plan-memory", Map.of()));
    }
    return more.isEmpty() ? p : p.then(more.toArray(dev.kiln.passes.pipeline.Pipeline.Step[]::new));
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
    Ir out;
    try {
      out = pipeline.passes().run(Ir.of(graph), context(pipeline, shapes, values));
    } catch (ShapeBindingException | PassException e) {
      throw new RunException(e.getMessage());
    }
    if (!(out instanceof Ir.OfLoops loops) || loops.memory().isEmpty()) {
      throw new RunException("the pipeline " + pipeline.passes().pipeline() + " does not end with planned "
          + "loop IR (plan-memory)");
    }
    LoopProgram program = loops.program();
    MemoryPlan plan = loops.memory().get();
    Map<dev.kiln.ir.loop.Buffer, Integer> offsets = new java.util.HashMap<>();
    program.scratch().forEach(b -> offsets.put(b, plan.elementOffset(b)));
    FrameLayout layout = FrameLayout.of(program, offsets);
    long loweredAt = System.nanoTime();
    ProgramCompiler.Result result = pipeline.compiler().compile(program, layout);
    long done = System.nanoTime();
    // The compiled program: constant GEMM weights packed (what the executable and artifacts hold).
    return new Report(shapes, values, result.program(), plan, result, loweredAt - start, done - loweredAt);
  }

  static PassContext context(Pipeline pipeline, Map<String, long[]> shapes, Map<String, Tensor> values) {
    return context(pipeline.options(), pipeline.floatLanes(), shapes, values);
  }

  static PassContext context(PipelineOptions po, int floatLanes, Map<String, long[]> shapes,
      Map<String, Tensor> values) {
    return new PassContext() {
      @Override
      public boolean explain() {
        return po.explain();
      }

      @Override
      public void remark(String pattern, String where, String message) {
        if (po.explain()) {
          po.diagnostics().accept("remark: " + pattern + ": " + where + ": " + message);
        }
      }

      @Override
      public Map<String, long[]> inputShapes() {
        return shapes;
      }

      @Override
      public Map<String, Tensor> inputValues() {
        return values;
      }

      @Override
      public int floatLanes() {
        return floatLanes;
      }
    };
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
