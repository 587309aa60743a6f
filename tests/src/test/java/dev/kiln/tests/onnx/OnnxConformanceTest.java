package dev.kiln.tests.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.ModelOptions.Engine;
import dev.kiln.frontend.onnx.proto.Onnx;
import dev.kiln.ir.op.OpRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The ONNX backend node tests ({@code shared/onnx-node-tests}, 922 cases) on both engines (the
 * reference interpreter and the compiled engine), compared with rtol 1e-3 and atol 1e-7. Every
 * case of the foundation operators must pass on both; every other case that does not pass on an
 * engine must have a reason (an operator Kiln lacks, an operator the compiled engine has no
 * lowering for, or an entry of {@link ConformanceExclusions}, per engine where the engines
 * differ); and {@code docs/onnx-support.md}, the per-operator
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

  /** One case's operator and its outcome on each engine. */
  record Result(String test, String op, NodeTestCase.Outcome interpreted,
      NodeTestCase.Outcome compiled) {
    NodeTestCase.Outcome outcome(Engine engine) {
      return engine == Engine.INTERPRETER ? interpreted : compiled;
    }

    boolean passed(Engine engine) {
      return outcome(engine).status() == NodeTestCase.Status.PASSED;
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
      Map<Engine, NodeTestCase.Outcome> outcomes = new NodeTestCase(name, d).runOnBothEngines();
      results.put(name, new Result(name, operatorOf(d), outcomes.get(Engine.INTERPRETER),
          outcomes.get(Engine.COMPILED)));
    });
    List<Result> sorted = new TreeMap<>(results).values().stream().toList();
    long millis = (System.nanoTime() - t0) / 1_000_000;
    System.out.println(summary(sorted) + "\n(" + sorted.size() + " cases on both engines in "
        + millis + " ms wall; summed over threads, interpreter "
        + NodeTestCase.NANOS.get(Engine.INTERPRETER).sum() / 1_000_000 + " ms, compiled "
        + NodeTestCase.NANOS.get(Engine.COMPILED).sum() / 1_000_000 + " ms)");

    String doc = SupportDoc.render(sorted);
    if (Boolean.getBoolean("kiln.regenerateDocs")) {
      Files.writeString(DOC, doc);
    }

    List<String> problems = new ArrayList<>();
    Set<String> usedExclusions = new java.util.HashSet<>();
    Set<String> usedCompiledExclusions = new java.util.HashSet<>();
    for (Result r : sorted) {
      var shared = ConformanceExclusions.match(r.test());
      shared.ifPresent(usedExclusions::add);
      var compiledOnly = ConformanceExclusions.matchCompiled(r.test());
      compiledOnly.ifPresent(usedCompiledExclusions::add);
      check(r, Engine.INTERPRETER, shared, problems);
      if (r.passed(Engine.COMPILED)) {
        compiledOnly.ifPresent(p -> problems.add(r.test() + " passes on the compiled engine now; "
            + "remove its compiled exclusion '" + p + "'"));
      }
      check(r, Engine.COMPILED, shared.or(() -> compiledOnly), problems);
    }
    for (String p : ConformanceExclusions.REASONS.keySet()) {
      if (!usedExclusions.contains(p)) {
        problems.add("exclusion '" + p + "' matches no test case");
      }
    }
    for (String p : ConformanceExclusions.COMPILED_REASONS.keySet()) {
      if (!usedCompiledExclusions.contains(p)) {
        problems.add("compiled exclusion '" + p + "' matches no test case");
      }
    }
    assertTrue(problems.isEmpty(), "ONNX node tests:\n" + String.join("\n", problems));
    assertEquals(doc, Files.exists(DOC) ? Files.readString(DOC) : "",
        DOC + " is stale; regenerate with bin/test -pl tests -am -Dkiln.regenerateDocs=true");
  }

  /**
   * Adds a problem when {@code r} does not pass on {@code engine} without a reason: a foundation
   * operator must pass unless excluded; any other case may fail to pass only when excluded, or
   * when the operator is not in Kiln, or (compiled engine) has no lowering.
   */
  private static void check(Result r, Engine engine, java.util.Optional<String> exclusion,
      List<String> problems) {
    NodeTestCase.Outcome outcome = r.outcome(engine);
    if (outcome.status() == NodeTestCase.Status.PASSED) {
      if (engine == Engine.INTERPRETER) {
        exclusion.ifPresent(p -> problems.add(r.test() + " passes now; remove its exclusion '"
            + p + "'"));
      }
      return;
    }
    if (exclusion.isPresent()) {
      return;
    }
    boolean opMissing = OpRegistry.standard().lookup(r.op()).isEmpty();
    boolean noLowering = engine == Engine.COMPILED
        && outcome.detail().startsWith(NodeTestCase.NO_LOWERING);
    if (FOUNDATION.contains(r.op()) || outcome.status() == NodeTestCase.Status.FAILED
        || !(opMissing || noLowering)) {
      problems.add(r.test() + " (" + r.op() + ") " + outcome.status() + " on "
          + engine.name().toLowerCase(java.util.Locale.ROOT) + ": " + outcome.detail());
    }
  }

  /** Per operator and engine: passed / failed / unsupported. */
  static String summary(List<Result> results) {
    StringBuilder sb = new StringBuilder(
        "ONNX node tests by operator (interpreter passed/failed/unsupported | compiled ...):");
    Map<String, int[]> interpreted = SupportDoc.countByOp(results, Engine.INTERPRETER);
    Map<String, int[]> compiled = SupportDoc.countByOp(results, Engine.COMPILED);
    interpreted.forEach((op, c) -> {
      int[] k = compiled.get(op);
      sb.append("\n  ").append(op).append(": ").append(c[0]).append('/').append(c[1]).append('/')
          .append(c[2]).append(" | ").append(k[0]).append('/').append(k[1]).append('/')
          .append(k[2]);
    });
    for (Engine e : Engine.values()) {
      long passed = results.stream().filter(r -> r.passed(e)).count();
      sb.append("\npassed on ").append(e.name().toLowerCase(java.util.Locale.ROOT)).append(": ")
          .append(passed).append(" of ").append(results.size());
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
