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
 * @param optimizationLevel 0 compiles loops as lowered (serial, scalar); 1 (the default) applies
 *     the default schedules (tiling, vectorization for the Vector API's preferred float length,
 *     parallel outer loops, unrolled small windows)
 * @param cacheDirectory where the compiled engine keeps compiled kernels across processes; empty:
 *     in memory only
 * @param opSchedules custom schedules by operator type (e.g. {@code MatMul}), used instead of the
 *     default schedule for every kernel of that type at optimization level 1; see
 *     {@link ScheduleFunction}. Each primitive checks its own legality, so a custom schedule can
 *     make a kernel slow but not wrong.
 */
public record ModelOptions(Engine engine, int threads, int optimizationLevel, Optional<Path> cacheDirectory,
    ImmutableMap<String, ScheduleFunction> opSchedules) {

  /** The engines that can run a model. */
  public enum Engine {
    /** The reference interpreter: plain Java per operator; the oracle for everything else. */
    INTERPRETER,
    /** Loop IR compiled to Java classes in memory (javac), specialized per input-shape signature. */
    COMPILED
  }

  public ModelOptions {
    Objects.requireNonNull(engine, "engine");
    checkArgument(threads >= 1, "threads must be at least 1, got %s", threads);
    checkArgument(optimizationLevel >= 0 && optimizationLevel <= 1,
        "optimizationLevel must be 0 or 1, got %s", optimizationLevel);
    Objects.requireNonNull(cacheDirectory, "cacheDirectory");
    opSchedules = ImmutableMap.copyOf(opSchedules);
  }

  public ModelOptions(Engine engine, int threads, int optimizationLevel, Optional<Path> cacheDirectory) {
    this(engine, threads, optimizationLevel, cacheDirectory, ImmutableMap.of());
  }

  public ModelOptions(Engine engine) {
    this(engine, Runtime.getRuntime().availableProcessors(), 1, Optional.empty());
  }

  /** The compiled engine on every available processor, kernels cached in memory, level 1. */
  public static ModelOptions defaults() {
    return new ModelOptions(Engine.COMPILED);
  }

  public ModelOptions withEngine(Engine newEngine) {
    return new ModelOptions(newEngine, threads, optimizationLevel, cacheDirectory, opSchedules);
  }

  public ModelOptions withThreads(int newThreads) {
    return new ModelOptions(engine, newThreads, optimizationLevel, cacheDirectory, opSchedules);
  }

  public ModelOptions withOptimizationLevel(int level) {
    return new ModelOptions(engine, threads, level, cacheDirectory, opSchedules);
  }

  public ModelOptions withCacheDirectory(Path directory) {
    return new ModelOptions(engine, threads, optimizationLevel, Optional.of(directory), opSchedules);
  }

  /**
   * Schedules every kernel of operator type {@code opType} with {@code function} instead of the
   * default schedule, e.g.
   * {@code options.withSchedule("MatMul", k -> { Schedule s = Schedule.of(k); s.parallelize("i"); return s; })}.
   */
  public ModelOptions withSchedule(String opType, ScheduleFunction function) {
    Map<String, ScheduleFunction> copy = new LinkedHashMap<>(opSchedules);
    copy.put(opType, Objects.requireNonNull(function, "function"));
    return new ModelOptions(engine, threads, optimizationLevel, cacheDirectory, ImmutableMap.copyOf(copy));
  }
}
