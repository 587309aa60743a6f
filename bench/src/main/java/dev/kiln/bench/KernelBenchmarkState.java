package dev.kiln.bench;

import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.api.ModelOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * What the JMH benchmarks share: a synthetic single-operator model ({@link SyntheticModels})
 * written as ONNX, loaded by one engine with {@code threads} threads, its random input bound, and
 * run once before JMH's own warm-up (for Kiln, that first run generates and compiles the code).
 */
final class KernelBenchmarkState implements AutoCloseable {
  private final Path scratch;
  private final EngineRunner runner;

  /** @param engine {@code kiln} (the compiled engine) or {@code ort} (ONNX Runtime) */
  KernelBenchmarkState(String spec, String engine, int threads) throws Exception {
    scratch = Files.createTempDirectory("kiln-jmh");
    Path onnx = SyntheticModels.writeOnnx(spec, scratch);
    Model model = Kiln.load(onnx, ModelOptions.defaults().withThreads(threads));
    ModelInputs inputs = ModelInputs.of(model.inputs(), onnx, 0);
    runner = switch (engine) {
      case "kiln" -> new KilnRunner(model, inputs.tensors());
      case "ort" -> OrtRunner.open(onnx, threads, inputs.tensors());
      default -> throw new IllegalArgumentException("engine must be kiln or ort, got " + engine);
    };
    runner.runOnce();
  }

  void runOnce() throws Exception {
    runner.runOnce();
  }

  @Override
  public void close() throws IOException {
    runner.close();
    try (Stream<Path> files = Files.walk(scratch)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
