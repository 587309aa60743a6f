package dev.kiln.tests.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * The ONNX backend node tests ({@code shared/onnx-node-tests}, 922 cases) on the reference
 * interpreter, compared with rtol 1e-3 and atol 1e-7. Every case of the foundation operators
 * must pass; every other case that does not pass must have a reason (an operator Kiln lacks, or
 * an entry of {@link ConformanceExclusions}); and {@code docs/onnx-support.md}, the per-operator
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

  /** One case's operator and outcome. */
  record Result(String test, String op, NodeTestCase.Outcome outcome) {
    boolean passed() {
      return outcome.status() == NodeTestCase.Status.PASSED;
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
      results.put(name, new Result(name, operatorOf(d), new NodeTestCase(name, d).run()));
    });
    List<Result> sorted = new TreeMap<>(results).values().stream().toList();
    long millis = (System.nanoTime() - t0) / 1_000_000;
    System.out.println(summary(sorted) + "\n(" + sorted.size() + " cases in " + millis + " ms)");

    String doc = SupportDoc.render(sorted);
    if (Boolean.getBoolean("kiln.regenerateDocs")) {
      Files.writeString(DOC, doc);
    }

    List<String> problems = new ArrayList<>();
    Set<String> usedExclusions = new java.util.HashSet<>();
    for (Result r : sorted) {
      var exclusion = ConformanceExclusions.match(r.test());
      exclusion.ifPresent(usedExclusions::add);
      if (r.passed()) {
        exclusion.ifPresent(p -> problems.add(r.test() + " passes now; remove its exclusion '"
            + p + "'"));
        continue;
      }
      boolean opMissing = OpRegistry.standard().lookup(r.op()).isEmpty();
      if (exclusion.isEmpty() && (FOUNDATION.contains(r.op()) || !opMissing
          || r.outcome().status() == NodeTestCase.Status.FAILED)) {
        problems.add(r.test() + " (" + r.op() + ") " + r.outcome().status() + ": "
            + r.outcome().detail());
      }
    }
    for (String p : ConformanceExclusions.REASONS.keySet()) {
      if (!usedExclusions.contains(p)) {
        problems.add("exclusion '" + p + "' matches no test case");
      }
    }
    assertTrue(problems.isEmpty(), "ONNX node tests:\n" + String.join("\n", problems));
    assertEquals(doc, Files.exists(DOC) ? Files.readString(DOC) : "",
        DOC + " is stale; regenerate with bin/test -pl tests -am -Dkiln.regenerateDocs=true");
  }

  /** Per operator: passed / failed / unsupported. */
  static String summary(List<Result> results) {
    Map<String, int[]> byOp = SupportDoc.countByOp(results);
    StringBuilder sb = new StringBuilder("ONNX node tests by operator (passed/failed/unsupported):");
    byOp.forEach((op, c) -> sb.append("\n  ").append(op).append(": ").append(c[0]).append('/')
        .append(c[1]).append('/').append(c[2]));
    long passed = results.stream().filter(Result::passed).count();
    return sb.append("\npassed ").append(passed).append(" of ").append(results.size()).toString();
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
