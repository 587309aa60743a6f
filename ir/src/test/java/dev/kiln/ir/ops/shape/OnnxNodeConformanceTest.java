package dev.kiln.ir.ops.shape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * The ONNX backend node tests of this family's operators: shape inference from the input types
 * (values unknown) must agree with the expected outputs, inference with known inputs must fold to
 * them, and the reference semantics must reproduce them ({@code rtol=1e-3, atol=1e-7} for reals,
 * exact otherwise).
 */
@Tag("conformance")
class OnnxNodeConformanceTest {
  /** Cases of this family's operators that are not run, each with the reason. */
  private static final Map<String, String> EXCLUDED = Map.of();

  @TestFactory
  Stream<DynamicTest> nodeTests() throws IOException {
    Optional<Path> root = OnnxNodeCase.root();
    Assumptions.assumeTrue(
        root.isPresent(), "shared/onnx-node-tests not found above " + Path.of("").toAbsolutePath());
    Set<String> ops = ShapeOps.all().stream().map(OpSchema::name).collect(Collectors.toSet());
    List<Path> dirs;
    try (Stream<Path> s = Files.list(root.get())) {
      dirs = s.filter(d -> Files.isRegularFile(d.resolve("model.onnx"))).sorted().toList();
    }
    List<Path> cases = dirs.stream()
        .filter(d -> OnnxNodeCase.singleOp(d).filter(ops::contains).isPresent())
        .filter(d -> !EXCLUDED.containsKey(d.getFileName().toString()))
        .toList();
    assertTrue(cases.size() > 100, "expected the shape operators' node tests, found " + cases.size());
    return cases.stream().map(d -> DynamicTest.dynamicTest(
        d.getFileName().toString(),
        () -> run(OnnxNodeCase.read(d).orElseThrow(() -> new AssertionError("unreadable case")))));
  }

  private static void run(OnnxNodeCase c) {
    OpSchema schema = OpHarness.op(c.op());
    List<Boolean> present = c.inputs().stream().map(Optional::isPresent).toList();
    assertEquals(List.of(),
        NodeInference.checkApplication(schema, present, c.outputs().size(), c.attributes()));
    List<Optional<TensorType>> types =
        c.inputs().stream().map(t -> t.map(Tensor::type)).toList();
    List<Optional<Tensor>> unknown = c.inputs().stream().map(t -> Optional.<Tensor>empty()).toList();

    NodeInference.Result symbolic =
        NodeInference.infer(schema, c.attributes(), types, unknown, c.outputs().size());
    for (int i = 0; i < c.outputs().size(); i++) {
      TensorType expected = c.outputs().get(i).type();
      TensorType inferred = symbolic.types().get(i);
      if (!NodeInference.compatible(expected, inferred)) {
        fail("output " + i + " is " + expected + " but inference without values gives " + inferred);
      }
    }

    NodeInference.Result folded =
        NodeInference.infer(schema, c.attributes(), types, c.inputs(), c.outputs().size());
    for (int i = 0; i < c.outputs().size(); i++) {
      assertEquals(c.outputs().get(i).type(), folded.types().get(i), "output " + i + " type");
    }

    List<Tensor> actual = schema.evaluate(new EvalContext(
        c.op(), c.attributes(), ImmutableList.copyOf(c.inputs()), c.outputs().size()));
    for (int i = 0; i < c.outputs().size(); i++) {
      assertClose(c.outputs().get(i), actual.get(i), "output " + i);
    }
  }

  private static void assertClose(Tensor expected, Tensor actual, String what) {
    assertEquals(expected.type(), actual.type(), what + " type");
    if (!expected.dtype().isFloating()) {
      assertArrayEquals(expected.toLongArray(), actual.toLongArray(), what);
      return;
    }
    for (long i = 0; i < expected.size(); i++) {
      double e = expected.getDouble(i);
      double a = actual.getDouble(i);
      boolean ok = Double.isNaN(e) ? Double.isNaN(a) : Math.abs(a - e) <= 1e-7 + 1e-3 * Math.abs(e);
      if (!ok) {
        fail(what + " element " + i + ": expected " + e + ", got " + a);
      }
    }
  }
}
