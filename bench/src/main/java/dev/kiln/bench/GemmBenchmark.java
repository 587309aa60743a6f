package dev.kiln.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * fp32 GEMM of issue 6's shapes, {@code y[M, N] = a[M, K] · b[K, N]} with b a constant: Kiln's
 * compiled engine against ONNX Runtime, each in its own fork ({@link KernelBenchmark}). Run with
 * {@code bin/kiln bench --jmh GemmBenchmark -p threads=1,2} (see docs/performance.md).
 */
public class GemmBenchmark extends KernelBenchmark {
  /** MxKxN. */
  @Param({"1024x1024x1024", "2048x2048x2048", "128x768x3072", "1x768x3072"})
  public String shape;

  @Override
  String spec() {
    return "matmul:" + shape;
  }

  @Benchmark
  public void gemm() throws Exception {
    runOnce();
  }
}
