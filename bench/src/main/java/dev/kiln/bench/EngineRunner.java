package dev.kiln.bench;

import dev.kiln.ir.tensor.Tensor;
import java.util.Map;

/** One engine with a loaded model and its inputs bound: what the bench times. */
interface EngineRunner extends AutoCloseable {
  /** A short name for tables, e.g. {@code kiln} or {@code onnxruntime}. */
  String name();

  /** Runs once and returns the outputs by name, in the model's output order. */
  Map<String, Tensor> outputs() throws Exception;

  /** Runs once, as cheaply as the engine allows: the call that is timed. */
  void runOnce() throws Exception;

  @Override
  void close();
}
