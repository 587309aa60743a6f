package dev.kiln.api;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import dev.kiln.passes.schedule.ScheduleFunction;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How a model is prepared and run.
 *
 * @param engine which engine runs the model
 * @param threads threads of the compiled engine's parallel loops (1: run on the caller only)
 * @param optimizationLevel the pass pipeline preset when {@code pipelineOptions} names none:
 *     0 ({@code O0}) compiles loops as lowered (serial, scalar); 1 ({@code O1}) applies the
 *     default schedules (tiling, vectorization for the Vector API's preferred float length,
 *     parallel outer loops, unrolled small windows); 2 adds graph clean-up; 3 ({@code O3},
 *     {@link #DEFAULT_OPTIMIZATION_LEVEL}) adds graph fusion, the blocked NCHWc layout for
 *     convolution networks and the loop fusions (docs/passes.md)
 * @param cacheDirectory where the compiled engine keeps compiled kernels across processes; empty:
 *     in memory only
 * @param opSchedules custom schedules by operator type (e.g. {@code MatMul}), used instead of the
 *     default schedule for every kernel of that type; see
 *     {@link ScheduleFunction}. Each primitive checks its own legality, so a custom schedule can
 *     make a kernel slow but not wrong.
 * @param pipelineOptions the compiled engine's pass pipeline, plugins and instruments
 */
public record ModelOptions(Engine engine, int threads, int optimizationLevel, Optional<Path> cacheDirectory,
    ImmutableMap<String, ScheduleFunction> opSchedules, PipelineOptions pipelineOptions) {

  /** The engines that can run a model. */
  public enum Engine {
    /** The reference interpreter: plain Java per operator; the oracle for everything else. */
    INTERPRETER,
    /** Loop IR compiled to Java classes in memory (javac), specialized per input-shape signature. */
    COMPILED
  }

  /**
   * The level a model compiles at unless told otherwise: {@code O3}, the fastest pipeline, which
   * compiles about as fast as {@code O1} (docs/performance-history.md, "The default level").
   */
  public static final int DEFAULT_OPTIMIZATION_LEVEL = 3;

  public ModelOptions {
    Objects.requireNonNull(engine, "engine");
    checkArgument(threads >= 1, "threads must be at least 1, got %s", threads);
    checkArgument(optimizationLevel >= 0 && optimizationLevel <= 3,
        "optimizationLevel must be 0 to 3, got %s", optimizationLevel);
    Objects.requireNonNull(cacheDirectory, "cacheDirectory");
    opSchedules = ImmutableMap.copyOf(opSchedules);
    Objects.requireNonNull(pipelineOptions, "pipelineOptions");
  }

  public ModelOptions(Engine engine, int threads, int optimizationLevel, Optional<Path> cacheDirectory,
      ImmutableMap<String, ScheduleFunction> opSchedules) {
    this(engine, threads, optimizationLevel, cacheDirectory, opSchedules, PipelineOptions.defaults());
  }

  public ModelOptions(Engine engine, int threads, int optimizationLevel, Optional<Path> cacheDirectory) {
    this(engine, threads, optimizationLevel, cacheDirectory, ImmutableMap.of());
  }

  public ModelOptions(Engine engine) {
    this(engine, Runtime.getRuntime().availableProcessors(), DEFAULT_OPTIMIZATION_LEVEL, Optional.empty());
  }

  /**
   * The compiled engine on every available processor, kernels cached in memory, level
   * {@link #DEFAULT_OPTIMIZATION_LEVEL} (3).
   */
  public static ModelOptions defaults() {
    return new ModelOptions(Engine.COMPILED);
  }

  public ModelOptions withEngine(Engine newEngine) {
    return new ModelOptions(newEngine, threads, optimizationLevel, cacheDirectory, opSchedules, pipelineOptions);
  }

  public ModelOptions withThreads(int newThreads) {
    return new ModelOptions(engine, newThreads, optimizationLevel, cacheDirectory, opSchedules, pipelineOptions);
  }

  public ModelOptions withOptimizationLevel(int level) {
    return new ModelOptions(engine, threads, level, cacheDirectory, opSchedules, pipelineOptions);
  }

  public ModelOptions withCacheDirectory(Path directory) {
    return new ModelOptions(engine, threads, optimizationLevel, Optional.of(directory), opSchedules, pipelineOptions);
  }

  /**
   * Schedules every kernel of operator type {@code opType} with {@code function} instead of the
   * default schedule, e.g.
   * {@code options.withSchedule("MatMul", k -> { Schedule s = Schedule.of(k); s.parallelize("i"); return s; })}.
   */
  public ModelOptions withSchedule(String opType, ScheduleFunction function) {
    Map<String, ScheduleFunction> copy = new LinkedHashMap<>(opSchedules);
    copy.put(opType, Objects.requireNonNull(function, "function"));
    return new ModelOptions(engine, threads, optimizationLevel, cacheDirectory, ImmutableMap.copyOf(copy), pipelineOptions);
  }

  /** The pipeline options: passes, plugins, instruments. */
  public ModelOptions withPipelineOptions(PipelineOptions newOptions) {
    return new ModelOptions(engine, threads, optimizationLevel, cacheDirectory, opSchedules, newOptions);
  }

  /** Compiles with the pipeline written {@code text}, e.g. {@code "dce,O1"} (see docs/passes.md). */
  public ModelOptions withPasses(String text) {
    return withPipelineOptions(pipelineOptions.withPasses(text));
  }

  /** Compiles with {@code pipeline}, built in Java. */
  public ModelOptions withPipeline(dev.kiln.passes.pipeline.Pipeline pipeline) {
    return withPipelineOptions(pipelineOptions.withPipeline(pipeline));
  }

  /** Adds the passes of a plugin jar, which the pipeline may then name. */
  public ModelOptions withPlugin(Path jar) {
    return withPipelineOptions(pipelineOptions.withPlugin(jar));
  }
}
