package dev.kiln.ir.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.ops.linalg.LinalgOps;
import dev.kiln.ir.ops.nn.NnOps;
import dev.kiln.ir.ops.reduce.ReduceOps;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * The ONNX backend node tests of the linalg, nn and reduce operators, run through shape inference
 * and the reference semantics. Multi-node ("_expanded") tests and other families' operators are
 * left to their owners; the exclusions below say why each one is left out.
 */
@Tag("conformance")
class OnnxNodeConformanceTest {
  /** Cases left out, with the reason; none today. */
  private static final Map<String, String> EXCLUDED = Map.of();

  @TestFactory
  Stream<DynamicTest> nodeTests() throws IOException {
    Optional<Path> root = OnnxNodeTests.root();
    Assumptions.assumeTrue(
        root.isPresent(), "shared/onnx-node-tests not found above " + Path.of("").toAbsolutePath());
    Map<String, OpSchema> ours = new HashMap<>();
    for (List<OpSchema> family : List.of(LinalgOps.all(), NnOps.all(), ReduceOps.all())) {
      family.forEach(s -> ours.put(s.name(), s));
    }
    List<DynamicTest> tests = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(root.get())) {
      for (Path dir : dirs.sorted().toList()) {
        if (!Files.exists(dir.resolve("model.onnx"))) {
          continue;
        }
        Optional<OnnxNodeTests.Case> loaded = OnnxNodeTests.load(dir, ours::containsKey);
        if (loaded.isEmpty() || loaded.get().nodeCount() != 1) {
          continue;
        }
        OnnxNodeTests.Case c = loaded.get();
        OpSchema schema = ours.get(c.op());
        tests.add(DynamicTest.dynamicTest(c.name(), () -> run(schema, c)));
      }
    }
    assertTrue(tests.size() > 100, "expected the linalg/nn/reduce node tests, found " + tests.size());
    return tests.stream();
  }

  private static void run(OpSchema schema, OnnxNodeTests.Case c) {
    Assumptions.assumeFalse(EXCLUDED.containsKey(c.name()), () -> EXCLUDED.get(c.name()));
    try {
      check(schema, c);
    } catch (AssertionError | RuntimeException e) {
      String where = c.name() + " (" + c.op() + ", opset " + c.opset() + "): ";
      throw new AssertionError(where + e.getMessage(), e);
    }
  }

  private static void check(OpSchema schema, OnnxNodeTests.Case c) {
    List<Optional<TensorType>> types = new ArrayList<>();
    List<Optional<Tensor>> constants = new ArrayList<>();
    List<Boolean> present = new ArrayList<>();
    for (Optional<Tensor> in : c.inputs()) {
      types.add(in.map(Tensor::type));
      // Integer side inputs (reduction axes) are constants in real models; data inputs are not.
      constants.add(in.filter(t -> t.dtype() == DType.I64 && in != c.inputs().get(0)));
      present.add(in.isPresent());
    }
    int outputs = c.outputs().size();
    assertEquals(
        List.of(), NodeInference.checkApplication(schema, present, outputs, c.attributes()));
    List<TensorType> inferred =
        NodeInference.infer(schema, c.attributes(), types, constants, outputs).types();
    List<Tensor> actual =
        schema.evaluate(
            new EvalContext(schema.name(), c.attributes(), ImmutableList.copyOf(c.inputs()), outputs));
    for (int i = 0; i < outputs; i++) {
      Tensor expected = c.outputs().get(i);
      Tensor got = actual.get(i);
      assertTrue(
          NodeInference.compatible(expected.type(), inferred.get(i)),
          "output " + i + " is " + expected.type() + " but inference gave " + inferred.get(i));
      assertEquals(expected.dtype(), got.dtype(), "dtype of output " + i);
      assertArrayEquals(expected.shape(), got.shape(), "shape of output " + i);
      assertClose(expected, got, i);
    }
  }

  private static void assertClose(Tensor expected, Tensor got, int output) {
    for (long k = 0; k < expected.size(); k++) {
      if (!expected.dtype().isFloating()) {
        assertEquals(expected.getLong(k), got.getLong(k), "output " + output + " element " + k);
        continue;
      }
      double e = expected.getDouble(k);
      double g = got.getDouble(k);
      double tolerance = expected.dtype() == DType.F16 ? 1e-2 : 1e-4 + 1e-4 * Math.abs(e);
      assertTrue(
          Double.compare(e, g) == 0 || Math.abs(e - g) <= tolerance,
          "output " + output + " element " + k + ": expected " + e + " but got " + g);
    }
  }
}
