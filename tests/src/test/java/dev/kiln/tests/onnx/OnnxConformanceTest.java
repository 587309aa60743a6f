package dev.kiln.tests.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.onnx.proto.Onnx;
import dev.kiln.ir.op.OpRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The ONNX backend node tests ({@code shared/onnx-node-tests}, 922 cases) on every {@link Runner}
 * (the reference interpreter, the compiled engine at -O3 and at -O1), compared with rtol 1e-3
 * and atol 1e-7. Every case of the foundation operators must pass on all; every other case that
 * does not pass on a runner must have a reason (an operator Kiln lacks, an operator the compiled
 * engine has no lowering for, or an entry of {@link ConformanceExclusions}, per runner where the
 * runners differ); and {@code docs/onnx-support.md}, the per-operator
 * table, must be what this run produces (regenerate with
 * {@code bin/test -pl tests -am -Dkiln.regenerateDocs=true}).
 */
@Tag("conformance")
class OnnxConformanceTest {
  static final Path DOC = Path.of("docs/onnx-support.md");

  /** The operators every node test of which must pass (issue 5). */
  static final Set<String> FOUNDATION = Set.of(
      "MatMul", "Gemm", "Conv", "BatchNormalization", "Relu", "LeakyRelu", "Clip", "Sigmoid",
      "Tanh", "Erf", "Softmax", "LayerNormalization", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt",
      "Exp", "Neg", "Reciprocal", "MaxPool", "AveragePool", "GlobalAveragePool", "ReduceMean",
      "ReduceSum", "ReduceMax", "Reshape", "Flatten", "Transpose", "Concat", "Split", "Slice",
      "Gather", "Squeeze", "Unsqueeze", "Expand", "Shape", "Where", "Equal", "Cast", "Constant",
      "ConstantOfShape", "Identity", "Dropout", "Pad");

  /** One case's operator and its outcome on each runner. */
  record Result(String test, String op, Map<Runner, NodeTestCase.Outcome> outcomes) {
    NodeTestCase.Outcome outcome(Runner runner) {
      return outcomes.get(runner);
    }

    boolean passed(Runner runner) {
      return outcome(runner).status() == NodeTestCase.Status.PASSED;
    }
  }

  @Test
  void nodeTests() throws IOException {
    Path root = SharedDir.require("onnx-node-tests");
    List<Path> dirs;
    try (Stream<Path> s = Files.list(root)) {
      dirs = s.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().toList();
    }
    long t0 = System.nanoTime();
    Map<String, Result> results = new ConcurrentHashMap<>();
    dirs.parallelStream().forEach(d -> {
      String name = d.getFileName().toString();
      results.put(name, new Result(name, operatorOf(d), new NodeTestCase(name, d).runOnEveryRunner()));
    });
    List<Result> sorted = new TreeMap<>(results).values().stream().toList();
    long millis = (System.nanoTime() - t0) / 1_000_000;
    StringBuilder times = new StringBuilder();
    for (Runner r : Runner.values()) {
      times.append(times.isEmpty() ? "" : ", ").append(r.label).append(' ')
          .append(NodeTestCase.NANOS.get(r).sum() / 1_000_000).append(" ms");
    }
    System.out.println(summary(sorted) + "\n(" + sorted.size() + " cases on every runner in "
        + millis + " ms wall; summed over threads: " + times + ")");

    String doc = SupportDoc.render(sorted);
    if (Boolean.getBoolean("kiln.regenerateDocs")) {
      Files.writeString(DOC, doc);
    }

    List<String> problems = new ArrayList<>();
    Set<String> used = new HashSet<>();
    for (Result r : sorted) {
      for (Runner runner : Runner.values()) {
        Optional<ConformanceExclusions.Exclusion> exclusion =
            ConformanceExclusions.match(runner, r.test());
        exclusion.ifPresent(e -> used.add(e.pattern()));
        check(r, runner, exclusion, problems);
      }
    }
    for (String p : ConformanceExclusions.patterns()) {
      if (!used.contains(p)) {
        problems.add("exclusion '" + p + "' matches no test case");
      }
    }
    assertTrue(problems.isEmpty(), "ONNX node tests:\n" + String.join("\n", problems));
    assertEquals(doc, Files.exists(DOC) ? Files.readString(DOC) : "",
        DOC + " is stale; regenerate with bin/test -pl tests -am -Dkiln.regenerateDocs=true");
  }

  /**
   * Adds a problem when {@code r} does not pass on {@code runner} without a reason: a foundation
   * operator must pass unless excluded; any other case may fail to pass only when excluded, or
   * when the operator is not in Kiln, or (compiled engine) has no lowering. An exclusion that
   * only the compiled engine (or only -O3) needs must not match a case that passes there.
   */
  private static void check(Result r, Runner runner,
      Optional<ConformanceExclusions.Exclusion> exclusion, List<String> problems) {
    NodeTestCase.Outcome outcome = r.outcome(runner);
    if (outcome.status() == NodeTestCase.Status.PASSED) {
      exclusion.filter(e -> runner == Runner.INTERPRETER || !e.runners().contains(Runner.INTERPRETER))
          .ifPresent(e -> problems.add(r.test() + " passes on the " + runner.label
              + " now; remove its exclusion '" + e.pattern() + "'"));
      return;
    }
    if (exclusion.isPresent()) {
      return;
    }
    boolean opMissing = OpRegistry.standard().lookup(r.op()).isEmpty();
    boolean noLowering = runner.compiled() && outcome.detail().startsWith(NodeTestCase.NO_LOWERING);
    if (FOUNDATION.contains(r.op()) || outcome.status() == NodeTestCase.Status.FAILED
        || !(opMissing || noLowering)) {
      problems.add(r.test() + " (" + r.op() + ") " + outcome.status() + " on " + runner.label
          + ": " + outcome.detail());
    }
  }

  /** Per operator and runner: passed / failed / unsupported. */
  static String summary(List<Result> results) {
    StringBuilder sb = new StringBuilder("ONNX node tests by operator (passed/failed/unsupported on");
    for (Runner r : Runner.values()) {
      sb.append(r.ordinal() == 0 ? " " : " | ").append(r.label);
    }
    sb.append("):");
    Map<Runner, Map<String, int[]>> counts = new EnumMap<>(Runner.class);
    for (Runner r : Runner.values()) {
      counts.put(r, SupportDoc.countByOp(results, r));
    }
    for (String op : counts.get(Runner.INTERPRETER).keySet()) {
      sb.append("\n  ").append(op).append(':');
      for (Runner r : Runner.values()) {
        int[] c = counts.get(r).get(op);
        sb.append(r.ordinal() == 0 ? " " : " | ").append(c[0]).append('/').append(c[1]).append('/')
            .append(c[2]);
      }
    }
    for (Runner r : Runner.values()) {
      long passed = results.stream().filter(x -> x.passed(r)).count();
      sb.append("\npassed on the ").append(r.label).append(": ").append(passed).append(" of ")
          .append(results.size());
    }
    return sb.toString();
  }

  /**
   * The operator a case tests: that of its (first) node; an {@code _expanded} case (a function
   * body spelled out) counts for the operator of the case it expands.
   */
  static String operatorOf(Path dir) {
    String name = dir.getFileName().toString();
    if (name.endsWith("_expanded")) {
      Path plain = dir.resolveSibling(name.substring(0, name.length() - "_expanded".length()));
      if (Files.isRegularFile(plain.resolve("model.onnx"))) {
        return operatorOf(plain);
      }
    }
    try {
      Onnx.ModelProto m = Onnx.ModelProto.parseFrom(Files.readAllBytes(dir.resolve("model.onnx")));
      return m.getGraph().getNodeCount() == 0 ? "(none)" : m.getGraph().getNode(0).getOpType();
    } catch (IOException e) {
      return "(unreadable)";
    }
  }
}
