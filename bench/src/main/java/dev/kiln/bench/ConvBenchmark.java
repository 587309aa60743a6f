package dev.kiln.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
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
 * The 3×3 stride-1 convolutions of ResNet-18 (batch 1, NCHW, bias; C→C filters at each stage),
 * Kiln's compiled engine against ONNX Runtime, each in its own fork. Sample time, so that JMH
 * prints the median (p0.50) beside the mean. Run with
 * {@code bin/kiln bench --jmh ConvBenchmark -p threads=1,2} (see docs/performance.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "-XX:+UseParallelGC", "-Xss8m"})
public class ConvBenchmark {
  /** CxHxW:FxKHxKW, as {@link SyntheticModels} reads it. */
  @Param({"64x56x56:64x3x3", "128x28x28:128x3x3", "256x14x14:256x3x3", "512x7x7:512x3x3"})
  public String layer;

  @Param({"kiln", "ort"})
  public String engine;

  @Param({"1"})
  public int threads;

  private KernelBenchmarkState state;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    state = new KernelBenchmarkState("conv:" + layer, engine, threads);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    state.close();
  }

  @Benchmark
  public void conv() throws Exception {
    state.runOnce();
  }
}
