package dev.kiln.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * The 3×3 stride-1 convolutions of ResNet-18 (batch 1, NCHW, bias; C→C filters at each stage),
 * Kiln's compiled engine against ONNX Runtime, each in its own fork ({@link KernelBenchmark}). Run
 * with {@code bin/kiln bench --jmh ConvBenchmark -p threads=1,2} (see docs/performance.md).
 */
public class ConvBenchmark extends KernelBenchmark {
  /** CxHxW:FxKHxKW, as {@link SyntheticModels} reads it. */
  @Param({"64x56x56:64x3x3", "128x28x28:128x3x3", "256x14x14:256x3x3", "512x7x7:512x3x3"})
  public String layer;

  @Override
  String spec() {
    return "conv:" + layer;
  }

  @Benchmark
  public void conv() throws Exception {
    runOnce();
  }
}
