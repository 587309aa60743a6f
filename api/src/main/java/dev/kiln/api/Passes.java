package dev.kiln.api;

import dev.kiln.codegen.compile.ProgramCompiler;
import dev.kiln.codegen.emit.EmitOptions;
import dev.kiln.passes.pipeline.Ir;
import dev.kiln.passes.pipeline.PassManager;
import dev.kiln.passes.pipeline.PassRegistry;
import dev.kiln.passes.pipeline.Pipeline;
import java.util.Map;
import java.util.Optional;

/**
 * The pass pipeline of a model's options, run on its graph for inspection ({@code kiln print
 * --passes=...}): exactly the passes written (not completed to code), with the instruments asked
 * for.
 */
public final class Passes {
  private Passes() {}

  /** The registry the options see: standard passes, plugins, custom schedules. */
  public static PassRegistry registry(ModelOptions options) {
    return CompiledEngine.registry(options);
  }

  /** The pipeline the options name (text, object, or the optimization level's preset), as written. */
  public static Pipeline pipeline(ModelOptions options) {
    return CompiledEngine.written(options, registry(options));
  }

  /**
   * Runs the pipeline of {@code model}'s options on its graph, for {@code shapes} (read by
   * {@code bind-shapes}; may be empty when the pipeline does not bind shapes or the model's are
   * static).
   *
   * @throws dev.kiln.passes.pipeline.PassException and others of the pass manager, see
   *     {@link PassManager}
   */
  public static Ir run(Model model, Map<String, long[]> shapes) {
    ModelOptions options = model.options();
    PassRegistry registry = registry(options);
    Pipeline pipeline = CompiledEngine.written(options, registry);
    PassManager manager = CompiledEngine.manager(pipeline, registry, options.pipelineOptions(),
        model.source(), model.baseDir());
    int lanes = Math.max(1, ProgramCompiler.floatLanes(EmitOptions.defaults()
        .withVectorize(EmitOptions.vectorApiAvailable())));
    return manager.run(Ir.of(model.graph()), CompiledEngine.context(options.pipelineOptions(), lanes, shapes, java.util.Map.of()));
  }

  /** Graph IR as canonical Kiln text (as {@code kiln print}), loop IR as loop IR with its memory plan. */
  public static String print(Model model, Ir ir) {
    return switch (ir) {
      case Ir.OfGraph g -> dev.kiln.frontend.kiln.KilnText.print(
          new dev.kiln.frontend.kiln.KilnModel(g.graph(), model.source().weightsFile()));
      case Ir.OfLoops l -> new IrPrinters(model.source(), Optional.empty()).print(l);
    };
  }
}
