package dev.kiln.ir.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.BroadcastAddTestOp;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** One test per verifier rule, each pinning its message. */
class VerifierTest {
  static final class TestNeedsAttr extends OpSchema {
    TestNeedsAttr() {
      super("TestNeedsAttr", 1, 1, 1, 1, List.of(AttrSpec.required("axis", AttributeKind.INT)));
    }

    @Override
    public List<TensorType> inferTypes(InferenceContext ctx) {
      return List.of(ctx.type(0));
    }

    @Override
    public List<Tensor> evaluate(EvalContext ctx) {
      return List.of(ctx.input(0));
    }
  }

  private static final OpRegistry REGISTRY =
      OpRegistry.standard().plus(List.of(
          new BroadcastAddTestOp("TestAdd", List.of(AttrSpec.optional("scale", Attribute.of(1L)))),
          new TestNeedsAttr()));
  private static final TensorType X = TensorType.of(DType.F32, Dim.named("N"), Dim.of(4));

  private static List<String> problems(Graph g) {
    return new Verifier(REGISTRY).verify(g).stream().map(VerifierError::toString).toList();
  }

  @Test
  void acceptsAWellFormedGraphWithSymbolicDims() {
    GraphBuilder b = Graph.builder("ok");
    Value x = b.input("x", X);
    Value c = b.constant("c", Tensor.ofFloats(new long[] {4}, 1, 2, 3, 4));
    Value y = b.node("TestAdd", List.of(x, c), X, Attributes.EMPTY);
    b.output(y);
    assertEquals(List.of(), problems(b.build()));
  }

  @Test
  void reportsEveryProblemNamingItsNode() {
    Value x = new Value("x", X);
    Value y = new Value("y", X);
    Value z = new Value("z", X);
    Graph g = new Graph("bad", ImmutableList.of(x), ImmutableList.of(z, new Value("w", X)), ImmutableList.of(),
        ImmutableList.of(
            Node.of("TestAdd", List.of(x, z), List.of(y), Attributes.EMPTY).withName("first"),
            Node.of("TestAd", List.of(x, x), List.of(z), Attributes.EMPTY),
            Node.of("TestAdd", List.of(x), List.of(x), Attributes.builder().put("scale", 2.0f).put("bogus", 1).build())));
    assertEquals(List.of(
        "TestAdd node 'first': uses %z, which is not defined before it",
        "TestAd node defining %z: unknown operator 'TestAd' (did you mean 'TestAdd'?)",
        "TestAdd node defining %x: TestAdd takes 2 inputs, got 1",
        "TestAdd node defining %x: unknown attribute 'bogus' for TestAdd; it takes scale",
        "TestAdd node defining %x: attribute 'scale' of TestAdd must be an int, got a float",
        "TestAdd node defining %x: %x is defined twice (again as output of TestAdd node defining %x)",
        "graph output %w is never defined"), problems(g));
  }

  @Test
  void checksRequiredAttributesAndDeclaredTypes() {
    GraphBuilder b = Graph.builder("types");
    Value x = b.input("x", X);
    Value y = new Value("y", TensorType.of(DType.F32, 3, 4));
    b.addNode(Node.of("TestNeedsAttr", List.of(x), List.of(y), Attributes.EMPTY));
    Value z = new Value("z", TensorType.of(DType.F32, Dim.named("N"), Dim.of(5)));
    b.addNode(Node.of("TestAdd", List.of(x, x), List.of(z), Attributes.EMPTY));
    b.output(new Value("z", TensorType.of(DType.I64, Dim.named("N"), Dim.of(5))));
    assertEquals(List.of(
        "TestNeedsAttr node defining %y: TestNeedsAttr needs attribute 'axis' (int)",
        "TestAdd node defining %z: declares %z: f32[N, 5] but TestAdd gives f32[N, 4]",
        "graph output %z is declared i64[N, 5] but its definition has type f32[N, 5]"), problems(b.build()));
  }

  @Test
  void inferenceErrorsAreReportedNotThrown() {
    GraphBuilder b = Graph.builder("broadcast");
    Value x = b.input("x", TensorType.of(DType.F32, 2, 3));
    Value w = b.input("w", TensorType.of(DType.F32, 4));
    b.addNode(Node.of("TestAdd", List.of(x, w), List.of(new Value("y", TensorType.of(DType.F32, 2, 3))), Attributes.EMPTY));
    b.output(new Value("y", TensorType.of(DType.F32, 2, 3)));
    List<String> p = problems(b.build());
    assertEquals(1, p.size());
    assertEquals("TestAdd node defining %y: shapes [[2, 3], [4]] cannot be broadcast: dimension 3 against 4", p.get(0));
  }

  @Test
  void verifyOrThrowListsAllProblems() {
    Graph g = new Graph("empty", ImmutableList.of(), ImmutableList.of(), ImmutableList.of(), ImmutableList.of());
    VerificationException e = assertThrows(VerificationException.class, () -> new Verifier(REGISTRY).verifyOrThrow(g));
    assertEquals("graph 'empty' is invalid (1 problem):\n  graph 'empty' has no outputs", e.getMessage());
    assertTrue(e.errors().get(0).node().isEmpty());
  }

  @Test
  void absentTrailingInputsAreDropped() {
    Value x = new Value("x", X);
    Node n = new Node("", "TestAdd", ImmutableList.of(Optional.of(x), Optional.empty()), ImmutableList.of(x), Attributes.EMPTY);
    assertEquals(1, n.inputCount());
  }
}
