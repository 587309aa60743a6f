package dev.kiln.bench;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * What benchmarking one model found.
 *
 * @param model the model's name (file name, or synthetic spec)
 * @param inputSource where the inputs came from
 * @param flops the floating-point operations of one run, for single-operator models
 * @param agreements one per output, when both engines ran
 * @param agreementProblem why the outputs could not be compared, when they could not
 */
public record BenchResult(String model, String inputSource, BenchSettings settings, OptionalLong flops,
    EngineResult kiln, EngineResult ort, List<Agreement> agreements, Optional<String> agreementProblem) {

  public BenchResult {
    agreements = List.copyOf(agreements);
  }

  /** True when both engines ran and every output agrees within the settings' tolerance. */
  public boolean outputsAgree() {
    return agreementProblem.isEmpty() && !agreements.isEmpty()
        && agreements.stream().allMatch(a -> a.agrees(settings.tolerance()));
  }

  /** The largest relative error over the outputs, when they were compared. */
  public OptionalDouble worstRelativeError() {
    return agreements.stream().mapToDouble(Agreement::relativeError)
        .reduce((x, y) -> Double.isNaN(x) || Double.isNaN(y) ? Double.NaN : Math.max(x, y));
  }

  /** Kiln's median latency over ONNX Runtime's, when both ran. */
  public OptionalDouble ratio() {
    if (!kiln.succeeded() || !ort.succeeded()) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(kiln.latency().orElseThrow().medianNanos()
        / ort.latency().orElseThrow().medianNanos());
  }

  /** An engine's GFLOP/s at its median latency, for single-operator models. */
  public static OptionalDouble gflops(OptionalLong flops, EngineResult engine) {
    if (flops.isEmpty() || !engine.succeeded()) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(flops.getAsLong() / engine.latency().orElseThrow().medianNanos());
  }
}
