package dev.kiln.runtime.interpreter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import dev.kiln.ir.verify.VerificationException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ReferenceInterpreterTest {
  private static final Dim N = Dim.named("N");
  private static final TensorType NX4 = TensorType.of(DType.F32, N, Dim.of(4));

  private static Value add(GraphBuilder b, String name, Value x, Value y) {
    Value out = new Value(name, NX4);
    b.addNode(Node.of("TestAdd", List.of(x, y), List.of(out), Attributes.EMPTY));
    return out;
  }

  private static Value unary(GraphBuilder b, String op, String name, Value x) {
    Value out = new Value(name, x.type());
    b.addNode(Node.of(op, x, out));
    return out;
  }

  /**
   * a = x + c; r = relu(a); s = r + x; y = s + a. Outputs y and a: x, a fan out to later nodes,
   * and a is also an output.
   */
  private static Graph fanOutGraph() {
    GraphBuilder b = Graph.builder("fan_out");
    Value x = b.input("x", NX4);
    Value c = b.constant("c", Tensor.ofFloats(new long[] {4}, 1, -2, 3, -4));
    Value a = add(b, "a", x, c);
    Value r = unary(b, "TestRelu", "r", a);
    Value s = add(b, "s", r, x);
    Value y = add(b, "y", s, a);
    return b.output(y).output(a).build();
  }

  private static Tensor nx4(int rows, float start) {
    float[] v = new float[rows * 4];
    for (int i = 0; i < v.length; i++) {
      v[i] = start + i * 0.5f - 3;
    }
    return Tensor.ofFloats(new long[] {rows, 4}, v);
  }

  /** The same computation in plain Java. */
  private static float[] expectedY(Tensor x) {
    float[] c = {1, -2, 3, -4};
    float[] in = x.toFloatArray();
    float[] y = new float[in.length];
    for (int i = 0; i < in.length; i++) {
      float a = in[i] + c[i % 4];
      y[i] = Math.max(a, 0) + in[i] + a;
    }
    return y;
  }

  @Test
  void runsNodesInOrderWithFanOutAndReleasesAfterLastUse() {
    ReferenceInterpreter interp = new ReferenceInterpreter(fanOutGraph(), TestOps.REGISTRY);
    Tensor x = nx4(2, 0);
    Map<String, Tensor> out = interp.run(Map.of("x", x));
    assertEquals(List.of("y", "a"), List.copyOf(out.keySet()), "outputs in graph order");
    assertArrayEquals(expectedY(x), out.get("y").toFloatArray());
    assertEquals("f32[2, 4]", out.get("a").type().toString());
    // x is last read by node 3 (s), r too; a and s by node 4; y and a are outputs, never released.
    assertEquals(
        List.of(List.of(), List.of(), List.of(), List.of("x", "r"), List.of("s")),
        interp.releasePlan());
  }

  @Test
  void bindsSymbolicDimsPerRun() {
    ReferenceInterpreter interp = new ReferenceInterpreter(fanOutGraph(), TestOps.REGISTRY);
    for (int rows : new int[] {1, 3, 0}) {
      Tensor x = nx4(rows, 1);
      assertArrayEquals(expectedY(x), interp.run(Map.of("x", x)).get("y").toFloatArray());
    }
  }

  @Test
  void releasesUnusedInputsAndDeadOutputsRightAway() {
    GraphBuilder b = Graph.builder("dead");
    Value x = b.input("x", NX4);
    b.input("unused", NX4);
    Value pos = new Value("pos", NX4);
    Value neg = new Value("neg", NX4);
    b.addNode(Node.of("TestSplitSign", List.of(x), List.of(pos, neg), Attributes.EMPTY));
    Value y = unary(b, "TestRelu", "y", pos);
    Graph g = b.output(y).output(x).build();
    ReferenceInterpreter interp = new ReferenceInterpreter(g, TestOps.REGISTRY);
    assertEquals(List.of(List.of("unused"), List.of("neg"), List.of("pos")), interp.releasePlan());
    Tensor in = nx4(1, 0);
    Map<String, Tensor> out = interp.run(Map.of("x", in, "unused", in));
    assertSame(in, out.get("x"), "an input that is also an output passes through");
  }

  @Test
  void constantsCanBeOutputs() {
    GraphBuilder b = Graph.builder("const_out");
    b.input("x", NX4);
    Tensor c = Tensor.ofFloats(new long[] {2}, 5, 6);
    Value cv = b.constant("c", c);
    ReferenceInterpreter interp = new ReferenceInterpreter(b.output(cv).build(), TestOps.REGISTRY);
    assertSame(c, interp.run(Map.of("x", nx4(1, 0))).get("c"));
  }

  // ---- input checks: each pins its message ----

  private static Graph twoInputs() {
    GraphBuilder b = Graph.builder("two");
    Value x = b.input("x", NX4);
    Value w = b.input("w", NX4);
    return b.output(add(b, "y", x, w)).build();
  }

  private static void assertRunFails(Graph g, Map<String, Tensor> inputs, String... problems) {
    RunException e = assertThrows(RunException.class,
        () -> new ReferenceInterpreter(g, TestOps.REGISTRY).run(inputs));
    assertEquals(List.of(problems), e.problems());
    assertEquals(String.join("\n", problems), e.getMessage());
  }

  @Test
  void missingInput() {
    assertRunFails(twoInputs(), Map.of("x", nx4(2, 0)), "missing input %w (f32[N, 4])");
  }

  @Test
  void unknownInput() {
    assertRunFails(twoInputs(), Map.of("x", nx4(2, 0), "w", nx4(2, 0), "z", nx4(2, 0)),
        "unknown input %z; the graph's inputs are %x, %w");
  }

  @Test
  void wrongDType() {
    assertRunFails(twoInputs(),
        Map.of("x", Tensor.ofLongs(new long[] {1, 4}, 1, 2, 3, 4), "w", nx4(1, 0)),
        "input %x has element type i64 but is declared f32[N, 4]");
  }

  @Test
  void wrongRank() {
    assertRunFails(twoInputs(),
        Map.of("x", Tensor.ofFloats(new long[] {4}, 1, 2, 3, 4), "w", nx4(1, 0)),
        "input %x has rank 1 (shape [4]) but is declared f32[N, 4]");
  }

  @Test
  void wrongStaticDim() {
    assertRunFails(twoInputs(),
        Map.of("x", Tensor.zeros(DType.F32, 1, 5), "w", nx4(1, 0)),
        "input %x dim 1 is 5 but is declared 4 (f32[N, 4])");
  }

  @Test
  void symbolicDimBoundInconsistently() {
    assertRunFails(twoInputs(), Map.of("x", nx4(3, 0), "w", nx4(4, 0)),
        "input %w dim 0 is N = 4 but %x gave N = 3");
  }

  @Test
  void symbolicDimInconsistentWithinOneTensor() {
    GraphBuilder b = Graph.builder("square");
    Value x = b.input("x", TensorType.of(DType.F32, N, N));
    Graph g = b.output(unary(b, "TestRelu", "y", x)).build();
    assertRunFails(g, Map.of("x", Tensor.zeros(DType.F32, 2, 3)),
        "input %x dim 1 is N = 3 but dim 0 of the same tensor gave N = 2");
  }

  @Test
  void unknownDimsAcceptAnySize() {
    GraphBuilder b = Graph.builder("unknown");
    Value x = b.input("x", TensorType.of(DType.F32, Dim.UNKNOWN, Dim.UNKNOWN));
    Graph g = b.output(unary(b, "TestRelu", "y", x)).build();
    ReferenceInterpreter interp = new ReferenceInterpreter(g, TestOps.REGISTRY);
    assertEquals("f32[2, 7]", interp.run(Map.of("x", Tensor.zeros(DType.F32, 2, 7))).get("y").type().toString());
  }

  @Test
  void reportsEveryInputProblemAtOnce() {
    Map<String, Tensor> inputs = new HashMap<>();
    inputs.put("x", Tensor.zeros(DType.F64, 1, 4));
    inputs.put("q", nx4(1, 0));
    assertRunFails(twoInputs(), inputs,
        "unknown input %q; the graph's inputs are %x, %w",
        "input %x has element type f64 but is declared f32[N, 4]",
        "missing input %w (f32[N, 4])");
  }

  // ---- node failures ----

  @Test
  void opExceptionBecomesRunExceptionNamingTheNode() {
    GraphBuilder b = Graph.builder("check");
    Value x = b.input("x", NX4);
    Value p = new Value("p", NX4);
    b.addNode(Node.of("TestPositive", x, p).withName("check_x"));
    ReferenceInterpreter interp = new ReferenceInterpreter(b.output(p).build(), TestOps.REGISTRY);
    RunException e = assertThrows(RunException.class, () -> interp.run(Map.of("x", nx4(1, 0))));
    assertEquals("TestPositive node 'check_x': input 0 must be positive, got -3.0 at element 0",
        e.getMessage());
  }

  @Test
  void outputOfWrongShapeIsAnInternalError() {
    for (long axis : new long[] {0, 1}) {
      GraphBuilder b = Graph.builder("grow");
      Value x = b.input("x", NX4);
      Value g = new Value("g", NX4);
      b.addNode(Node.of("TestGrow", List.of(x), List.of(g),
          Attributes.of(Map.of("axis", Attribute.of(axis)))));
      ReferenceInterpreter interp = new ReferenceInterpreter(b.output(g).build(), TestOps.REGISTRY);
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> interp.run(Map.of("x", nx4(2, 0))));
      assertEquals(axis == 0
              ? "internal error: TestGrow node defining %g: output %g dim 0 is N = 3 but %x gave N = 2"
              : "internal error: TestGrow node defining %g: output %g dim 1 is 5 but is declared 4 "
                  + "(f32[N, 4])",
          e.getMessage());
    }
  }

  @Test
  void otherOperatorFailuresAreInternalErrorsNamingTheNode() {
    GraphBuilder b = Graph.builder("buggy");
    Value x = b.input("x", NX4);
    Value q = unary(b, "TestBuggy", "q", x);
    ReferenceInterpreter interp = new ReferenceInterpreter(b.output(q).build(), TestOps.REGISTRY);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> interp.run(Map.of("x", nx4(1, 0))));
    assertEquals("internal error: TestBuggy node defining %q failed: "
        + "java.lang.ArithmeticException: / by zero", e.getMessage());
    assertTrue(e.getCause() instanceof ArithmeticException);
  }

  @Test
  void rejectsAGraphThatDoesNotVerify() {
    GraphBuilder b = Graph.builder("bad");
    Value x = b.input("x", NX4);
    Graph g = b.output(unary(b, "TestRelux", "y", x)).build();
    VerificationException e = assertThrows(VerificationException.class,
        () -> new ReferenceInterpreter(g, TestOps.REGISTRY));
    assertEquals("graph 'bad' is invalid (1 problem):\n"
        + "  TestRelux node defining %y: unknown operator 'TestRelux' (did you mean 'TestRelu'?)",
        e.getMessage());
  }

  // ---- concurrency ----

  @Test
  void concurrentRunsGiveTheSameResultsAsSequentialOnes() throws Exception {
    ReferenceInterpreter interp = new ReferenceInterpreter(fanOutGraph(), TestOps.REGISTRY);
    int threads = 4;
    int runsPerThread = 40;
    List<Tensor> inputs = new ArrayList<>();
    List<Tensor> expected = new ArrayList<>();
    for (int i = 0; i < runsPerThread; i++) {
      Tensor x = nx4(1 + i % 5, i);
      inputs.add(x);
      expected.add(interp.run(Map.of("x", x)).get("y"));
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<Tensor>>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int offset = t;
        Callable<List<Tensor>> job = () -> {
          start.await();
          List<Tensor> got = new ArrayList<>();
          // Each thread walks the inputs from a different place, so runs of different shapes overlap.
          for (int i = 0; i < runsPerThread; i++) {
            int k = (i + offset * 7) % runsPerThread;
            got.add(interp.run(Map.of("x", inputs.get(k))).get("y"));
          }
          return got;
        };
        futures.add(pool.submit(job));
      }
      start.countDown();
      for (int t = 0; t < threads; t++) {
        List<Tensor> got = futures.get(t).get();
        for (int i = 0; i < runsPerThread; i++) {
          assertEquals(expected.get((i + t * 7) % runsPerThread), got.get(i));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
