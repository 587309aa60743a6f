package dev.kiln.runtime.interpreter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The interpreter with the standard operators: a small MLP with a symbolic batch. */
class RealOpsInterpreterTest {
  private static final Dim N = Dim.named("N");
  private static final float[] W1 = {0.5f, -1, 2, 0, 1, 1, -0.5f, 0.25f, -1, 0.5f, 1, -2}; // 3x4
  private static final float[] B1 = {0.1f, -0.2f, 0.3f, -0.4f};
  private static final float[] W2 = {1, -1, 0.5f, 2, -1, 0.5f, 0.25f, 1}; // 4x2

  /** y = relu(x @ W1 + b1) @ W2 with x: f32[N, 3]. */
  private static Graph mlp() {
    GraphBuilder b = Graph.builder("mlp");
    Value x = b.input("x", TensorType.of(DType.F32, N, Dim.of(3)));
    Value w1 = b.constant("w1", Tensor.ofFloats(new long[] {3, 4}, W1));
    Value b1 = b.constant("b1", Tensor.ofFloats(new long[] {4}, B1));
    Value w2 = b.constant("w2", Tensor.ofFloats(new long[] {4, 2}, W2));
    TensorType hidden = TensorType.of(DType.F32, N, Dim.of(4));
    Value h = b.node("MatMul", List.of(x, w1), hidden, Attributes.EMPTY);
    Value hb = b.node("Add", List.of(h, b1), hidden, Attributes.EMPTY);
    Value r = b.node("Relu", List.of(hb), hidden, Attributes.EMPTY);
    Value y = b.node("MatMul", List.of(r, w2), TensorType.of(DType.F32, N, Dim.of(2)),
        Attributes.EMPTY);
    return b.output(y).build();
  }

  /** The MLP in plain Java, in double like the reference semantics. */
  private static float[] expected(float[] x, int rows) {
    float[] y = new float[rows * 2];
    for (int n = 0; n < rows; n++) {
      float[] hidden = new float[4];
      for (int j = 0; j < 4; j++) {
        double acc = 0;
        for (int k = 0; k < 3; k++) {
          acc += (double) x[n * 3 + k] * W1[k * 4 + j];
        }
        hidden[j] = Math.max((float) acc + B1[j], 0);
      }
      for (int j = 0; j < 2; j++) {
        double acc = 0;
        for (int k = 0; k < 4; k++) {
          acc += (double) hidden[k] * W2[k * 2 + j];
        }
        y[n * 2 + j] = (float) acc;
      }
    }
    return y;
  }

  @Test
  void runsAnMlpForSeveralBatchSizes() {
    Graph g = mlp();
    ReferenceInterpreter interp = new ReferenceInterpreter(g, OpRegistry.standard());
    String out = g.outputs().get(0).name();
    for (int rows : new int[] {1, 2, 5}) {
      float[] x = new float[rows * 3];
      for (int i = 0; i < x.length; i++) {
        x[i] = (i % 7) - 2.5f;
      }
      Tensor y = interp.run(Map.of("x", Tensor.ofFloats(new long[] {rows, 3}, x))).get(out);
      assertArrayEquals(new long[] {rows, 2}, y.shape());
      assertArrayEquals(expected(x, rows), y.toFloatArray(), 1e-6f);
    }
  }

  @Test
  void inputOfWrongWidthIsRejectedBeforeAnyNodeRuns() {
    ReferenceInterpreter interp = new ReferenceInterpreter(mlp(), OpRegistry.standard());
    RunException e = assertThrows(RunException.class,
        () -> interp.run(Map.of("x", Tensor.zeros(DType.F32, 2, 4))));
    assertEquals("input %x dim 1 is 4 but is declared 3 (f32[N, 3])", e.getMessage());
  }

  @Test
  void operatorRejectionAtRunTimeNamesTheNode() {
    // N and M broadcast only if equal or 1: inference cannot know, the run finds out.
    GraphBuilder b = Graph.builder("bcast");
    Value x = b.input("x", TensorType.of(DType.F32, N, Dim.of(4)));
    Value z = b.input("z", TensorType.of(DType.F32, Dim.named("M"), Dim.of(4)));
    Value s = b.node("Add", List.of(x, z), TensorType.of(DType.F32, Dim.UNKNOWN, Dim.of(4)),
        Attributes.EMPTY);
    ReferenceInterpreter interp = new ReferenceInterpreter(b.output(s).build(), OpRegistry.standard());
    assertEquals("f32[3, 4]", interp.run(Map.of("x", Tensor.zeros(DType.F32, 1, 4),
        "z", Tensor.zeros(DType.F32, 3, 4))).get("add").type().toString());
    RunException e = assertThrows(RunException.class, () -> interp.run(Map.of(
        "x", Tensor.zeros(DType.F32, 2, 4), "z", Tensor.zeros(DType.F32, 3, 4))));
    // The operator's own wording belongs to the elementwise family; pin only what the interpreter adds.
    assertTrue(e.getMessage().startsWith("Add node defining %add: "), e.getMessage());
    assertTrue(e.getMessage().contains("[2, 4]") && e.getMessage().contains("[3, 4]"), e.getMessage());
  }

  /** %add = Add(%x: f32[N, 4], %z: f32[M, 4]), declared {@code addType}; inference says f32[?, 4]. */
  private static GraphBuilder addOfTwoNames(TensorType addType) {
    GraphBuilder b = Graph.builder("refined");
    Value x = b.input("x", TensorType.of(DType.F32, N, Dim.of(4)));
    Value z = b.input("z", TensorType.of(DType.F32, Dim.named("M"), Dim.of(4)));
    Value s = b.node("Add", List.of(x, z), addType, Attributes.EMPTY);
    return b.output(s);
  }

  @Test
  void aRefinedNodeOutputThatDoesNotHoldIsTheGraphsError() {
    Graph g = addOfTwoNames(TensorType.of(DType.F32, N, Dim.of(4))).build();
    ReferenceInterpreter interp = new ReferenceInterpreter(g, OpRegistry.standard());
    interp.run(Map.of("x", Tensor.zeros(DType.F32, 3, 4), "z", Tensor.zeros(DType.F32, 1, 4)));
    RunException e = assertThrows(RunException.class, () -> interp.run(Map.of(
        "x", Tensor.zeros(DType.F32, 1, 4), "z", Tensor.zeros(DType.F32, 3, 4))));
    assertEquals("Add node defining %add: output %add dim 0 is N = 3 but %x gave N = 1; the graph "
        + "declares more than shape inference could check (f32[?, 4])", e.getMessage());
  }

  @Test
  void aRefinedGraphOutputThatDoesNotHoldIsTheGraphsError() {
    TensorType unknownRows = TensorType.of(DType.F32, Dim.UNKNOWN, Dim.of(4));
    GraphBuilder b = addOfTwoNames(unknownRows).clearOutputs();
    Graph g = b.output(new Value("add", TensorType.of(DType.F32, Dim.named("M"), Dim.of(4))))
        .build();
    ReferenceInterpreter interp = new ReferenceInterpreter(g, OpRegistry.standard());
    interp.run(Map.of("x", Tensor.zeros(DType.F32, 1, 4), "z", Tensor.zeros(DType.F32, 3, 4)));
    RunException e = assertThrows(RunException.class, () -> interp.run(Map.of(
        "x", Tensor.zeros(DType.F32, 3, 4), "z", Tensor.zeros(DType.F32, 1, 4))));
    assertEquals("graph output %add dim 0 is M = 3 but %z gave M = 1", e.getMessage());
  }
}
