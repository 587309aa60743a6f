package dev.kiln.ir.ops.shape;

import static dev.kiln.ir.ops.shape.OpHarness.f32Type;
import static dev.kiln.ir.ops.shape.OpHarness.i64;
import static dev.kiln.ir.ops.shape.OpHarness.i64Scalar;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.type.TensorType;
import dev.kiln.ir.verify.Verifier;
import dev.kiln.ir.verify.VerifierError;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shape arithmetic PyTorch exports for {@code x.view(x.size(0), -1)}: {@code Shape -> Gather
 * -> Unsqueeze -> Concat -> Reshape}. With a static input every step folds, so the verifier knows
 * the Reshape's static output type and rejects a wrong declaration.
 */
class ExporterShapeChainTest {

  /** The chain over an input of type {@code input}, its Reshape declared as {@code declared}. */
  private static Graph chain(TensorType input, TensorType declared) {
    GraphBuilder b = Graph.builder("flatten_batch");
    Value x = b.input("x", input);
    Value zero = b.constant("zero", i64Scalar(0));
    Value axes = b.constant("axes", i64(0));
    Value minusOne = b.constant("minus_one", i64(-1));
    Value shape = b.node("Shape", List.of(x), OpHarness.i64Type(input.rank()), Attributes.EMPTY);
    Value batch = b.node("Gather", List.of(shape, zero), OpHarness.i64Type(), Attributes.EMPTY);
    Value batch1 = b.node("Unsqueeze", List.of(batch, axes), OpHarness.i64Type(1), Attributes.EMPTY);
    Value target = b.node("Concat", List.of(batch1, minusOne), OpHarness.i64Type(2),
        Attributes.builder().put("axis", 0L).build());
    Value y = new Value("y", declared);
    b.addNode(Node.of("Reshape", List.of(x, target), List.of(y), Attributes.EMPTY));
    b.output(y);
    return b.build();
  }

  @Test
  void staticInputGivesAStaticReshape() {
    assertEquals(List.of(), Verifier.standard().verify(chain(f32Type(2, 3, 4), f32Type(2, 12))));
  }

  @Test
  void wrongDeclarationIsReportedWithTheInferredType() {
    List<VerifierError> errors =
        Verifier.standard().verify(chain(f32Type(2, 3, 4), f32Type(2, 13)));
    assertEquals(
        List.of("Reshape node defining %y: declares %y: f32[2, 13] but Reshape gives f32[2, 12]"),
        errors.stream().map(VerifierError::toString).toList());
    // Even an unknown declaration must keep the rank the chain computes.
    assertEquals(1, Verifier.standard().verify(chain(f32Type(2, 3, 4), f32Type("?"))).size());
  }

  @Test
  void symbolicInputKeepsTheRank() {
    // Shape of [N, 3, 4] is not a constant, so the Reshape knows only its rank; a declaration
    // may refine the unknown dims.
    assertEquals(List.of(), Verifier.standard().verify(chain(f32Type("N", 3, 4), f32Type("N", 12))));
    assertEquals(List.of(), Verifier.standard().verify(chain(f32Type("N", 3, 4), f32Type("?", "?"))));
  }

  @Test
  void badReshapeIsReportedOnItsNode() {
    GraphBuilder b = Graph.builder("bad");
    Value x = b.input("x", f32Type(2, 3));
    Value target = b.constant("target", i64(4, -1));
    Value y = new Value("y", f32Type("?", "?"));
    b.addNode(Node.of("Reshape", List.of(x, target), List.of(y), Attributes.EMPTY));
    b.output(y);
    assertEquals(
        List.of("Reshape node defining %y: cannot reshape input 0 of shape [2, 3] (6 elements)"
            + " to [4, -1]: 6 is not a multiple of 4"),
        Verifier.standard().verify(b.build()).stream().map(VerifierError::toString).toList());
  }
}
