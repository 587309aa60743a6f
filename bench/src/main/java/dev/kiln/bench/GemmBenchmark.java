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
 * fp32 GEMM of issue 6's shapes, {@code y[M, N] = a[M, K] · b[K, N]} with b a constant: Kiln's
 * compiled engine against ONNX Runtime, each in its own fork. Sample time, so that JMH prints the
 * median (p0.50) beside the mean. Run with
 * {@code bin/kiln bench --jmh GemmBenchmark -p threads=1,2} (see docs/performance.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "-XX:+UseParallelGC", "-Xss8m"})
public class GemmBenchmark {
  /** MxKxN. */
  @Param({"1024x1024x1024", "2048x2048x2048", "128x768x3072", "1x768x3072"})
  public String shape;

  @Param({"kiln", "ort"})
  public String engine;

  @Param({"1"})
  public int threads;

  private KernelBenchmarkState state;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    state = new KernelBenchmarkState("matmul:" + shape, engine, threads);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    state.close();
  }

  @Benchmark
  public void gemm() throws Exception {
    state.runOnce();
  }
}
