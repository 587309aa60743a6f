package dev.kiln.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ONNX Runtime's own per-node times, read from the Chrome trace its profiler writes
 * ({@code SessionOptions.enableProfiling}): one event per node and run, named
 * {@code <node>_kernel_time}, with the node's operator in {@code args.op_name}. Nodes ONNX Runtime
 * made by fusing carry the first fused node's name and a suffix (e.g.
 * {@code /linear1/MatMul/MatMulAddFusion}), some a name of its own ({@code SkipLayerNormalization}).
 */
final class OrtProfile {
  /** One node of ONNX Runtime's executed graph and its mean time per run. */
  record NodeTime(String name, String op, double microsPerRun) {}

  private static final String KERNEL_SUFFIX = "_kernel_time";

  private OrtProfile() {}

  /**
   * The nodes' mean times over the last {@code lastRuns} runs of the trace (the earlier ones
   * warmed ONNX Runtime up), longest first.
   *
   * @throws IllegalArgumentException if the text is not a trace of at least {@code lastRuns} runs
   */
  static List<NodeTime> nodeTimes(String traceJson, int lastRuns) {
    if (lastRuns < 1) {
      throw new IllegalArgumentException("lastRuns must be at least 1, got " + lastRuns);
    }
    if (!(JsonReader.parse(traceJson) instanceof List<?> events)) {
      throw new IllegalArgumentException("an ONNX Runtime profile is a JSON array of events");
    }
    List<Double> runStarts = new ArrayList<>();
    for (Object e : events) {
      if (e instanceof Map<?, ?> event && "model_run".equals(event.get("name"))) {
        runStarts.add(number(event, "ts"));
      }
    }
    if (runStarts.size() < lastRuns) {
      throw new IllegalArgumentException("the profile has " + runStarts.size() + " runs, not the "
          + lastRuns + " asked for");
    }
    runStarts.sort(Comparator.naturalOrder());
    double from = runStarts.get(runStarts.size() - lastRuns);
    Map<String, double[]> micros = new LinkedHashMap<>();
    Map<String, String> ops = new LinkedHashMap<>();
    for (Object e : events) {
      if (!(e instanceof Map<?, ?> event) || !"Node".equals(event.get("cat"))
          || !(event.get("name") instanceof String name) || !name.endsWith(KERNEL_SUFFIX)
          || number(event, "ts") < from) {
        continue;
      }
      String node = name.substring(0, name.length() - KERNEL_SUFFIX.length());
      micros.computeIfAbsent(node, k -> new double[1])[0] += number(event, "dur");
      if (event.get("args") instanceof Map<?, ?> args && args.get("op_name") instanceof String op) {
        ops.put(node, op);
      }
    }
    List<NodeTime> out = new ArrayList<>();
    micros.forEach((node, sum) -> out.add(new NodeTime(node, ops.getOrDefault(node, "?"), sum[0] / lastRuns)));
    out.sort(Comparator.comparingDouble(NodeTime::microsPerRun).reversed());
    return out;
  }

  private static double number(Map<?, ?> event, String key) {
    if (event.get(key) instanceof Double d) {
      return d;
    }
    throw new IllegalArgumentException("a profile event without a number '" + key + "': " + event);
  }
}
