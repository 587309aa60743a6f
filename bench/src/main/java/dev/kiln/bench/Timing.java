package dev.kiln.bench;

import dev.kiln.runtime.compiled.WarmUp;
import java.util.ArrayList;
import java.util.List;

/**
 * Times engines: each warms up as the settings say ({@link BenchSettings#warmUp}: at least
 * {@code --warmup} runs and {@code --warmup-seconds}, then until the timings settle, at most
 * {@code --max-warmup-seconds}), then each timed run is timed on its own.
 */
final class Timing {
  private Timing() {}

  static TimedRuns measure(EngineRunner runner, BenchSettings settings) throws Exception {
    return measureInterleaved(List.of(runner), settings).getFirst();
  }

  /**
   * Times several engines in turns: all warm up, then each timed round runs each engine once. A
   * change in the machine's load then falls on all of them alike, not on whichever ran last.
   */
  static List<TimedRuns> measureInterleaved(List<? extends EngineRunner> runners, BenchSettings settings)
      throws Exception {
    List<WarmUp> warmUps = warmUpAll(runners, settings);
    long compileStart = WarmUp.jitCompileMillis().orElse(-1);
    long[][] samples = new long[runners.size()][settings.runs()];
    for (int i = 0; i < settings.runs(); i++) {
      for (int k = 0; k < runners.size(); k++) {
        long start = System.nanoTime();
        runners.get(k).runOnce();
        samples[k][i] = System.nanoTime() - start;
      }
    }
    return timedRuns(warmUps, samples, compileStart);
  }

  /**
   * Times several engines in blocks: all warm up, then {@code blocks} times each engine makes
   * {@code settings.runs()} timed runs in a row, in turn. The machine's slow and fast phases
   * (seconds long on a shared host) then fall on every engine alike, and each block keeps its
   * engine's caches warm as back-to-back runs in a service do (alternating single runs would
   * leave each engine the other's caches). Each engine's {@link TimedRuns} holds all its blocks'
   * runs; {@code blockMedians[k][b]} is engine k's median in block b.
   */
  static Blocks measureInBlocks(List<? extends EngineRunner> runners, BenchSettings settings,
      int blocks) throws Exception {
    // On several threads each engine's idle workers spin for a while after its runs (Kiln's up to
    // 5 ms, ONNX Runtime's longer), on the cores the other engine's threads need: 1024³ on 2
    // threads took 9.0 ms right after ONNX Runtime's block and 8.0 alone; after a pause of
    // 100 ms, 8.9 against 9.0 (session 12). One thread has no workers to wait for.
    long pauseMillis = settings.threads() > 1 ? BLOCK_PAUSE_MILLIS : 0;
    List<WarmUp> warmUps = warmUpAll(runners, settings);
    long compileStart = WarmUp.jitCompileMillis().orElse(-1);
    int runs = settings.runs();
    long[][] samples = new long[runners.size()][blocks * runs];
    double[][] blockMedians = new double[runners.size()][blocks];
    for (int b = 0; b < blocks; b++) {
      for (int k = 0; k < runners.size(); k++) {
        long[] block = new long[runs];
        for (int i = 0; i < runs; i++) {
          long start = System.nanoTime();
          runners.get(k).runOnce();
          block[i] = System.nanoTime() - start;
        }
        System.arraycopy(block, 0, samples[k], b * runs, runs);
        blockMedians[k][b] = LatencyStats.of(block).medianMillis();
        if (pauseMillis > 0) {
          Thread.sleep(pauseMillis);
        }
      }
    }
    return new Blocks(timedRuns(warmUps, samples, compileStart), blockMedians);
  }

  private static List<WarmUp> warmUpAll(List<? extends EngineRunner> runners, BenchSettings settings)
      throws Exception {
    List<WarmUp> warmUps = new ArrayList<>();
    for (EngineRunner r : runners) {
      warmUps.add(warmUp(r, settings));
    }
    return warmUps;
  }

  /**
   * Each engine's timed runs from its samples; the JIT's compile time since {@code compileStart}
   * (-1: not measured) is the whole JVM's, so the same for every engine.
   */
  private static List<TimedRuns> timedRuns(List<WarmUp> warmUps, long[][] samples, long compileStart) {
    long compileMillis = compileStart < 0 ? -1 : WarmUp.jitCompileMillis().orElseThrow() - compileStart;
    List<TimedRuns> timed = new ArrayList<>();
    for (int k = 0; k < samples.length; k++) {
      timed.add(new TimedRuns(warmUps.get(k), LatencyStats.of(samples[k]), compileMillis));
    }
    return timed;
  }

  /** The pause after each block on several threads, for the engine's workers to stop spinning. */
  static final long BLOCK_PAUSE_MILLIS = 100;

  /** What {@link #measureInBlocks} measured: per engine, all runs and each block's median. */
  record Blocks(List<TimedRuns> timed, double[][] blockMedians) {}

  /** {@link BenchSettings#warmUp} on an engine, whose failure is rethrown as it was. */
  private static WarmUp warmUp(EngineRunner runner, BenchSettings settings) throws Exception {
    try {
      return settings.warmUp(() -> {
        try {
          runner.runOnce();
        } catch (Exception e) {
          throw new RunFailed(e);
        }
      });
    } catch (RunFailed e) {
      throw e.failure;
    }
  }

  /** Carries a run's checked exception out of the warm-up's {@link Runnable}. */
  private static final class RunFailed extends RuntimeException {
    final Exception failure;

    RunFailed(Exception failure) {
      super(failure);
      this.failure = failure;
    }
  }
}
