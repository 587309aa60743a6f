package dev.kiln.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the JMH benchmarks of one synthetic operator share (JMH's annotations are inherited): one
 * engine per fork ({@code -p engine=kiln,ort}), {@code -p threads=...}, sample time so that JMH
 * prints the median (p0.50) beside the mean, and the model loaded and run once before JMH's own
 * warm-up ({@link KernelBenchmarkState}). A subclass says which model ({@link #spec}) and times
 * {@link #runOnce}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "-XX:+UseParallelGC", "-XX:-UseAdaptiveSizePolicy", "-Xss8m"})
public abstract class KernelBenchmark {
  @Param({"kiln", "ort"})
  public String engine;

  @Param({"1"})
  public int threads;

  private KernelBenchmarkState state;

  /** The model, as {@link SyntheticModels} reads it, e.g. {@code matmul:1024x1024x1024}. */
  abstract String spec();

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    state = new KernelBenchmarkState(spec(), engine, threads);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    state.close();
  }

  /** One run of the model: what a subclass's benchmark method calls. */
  protected void runOnce() throws Exception {
    state.runOnce();
  }
}
