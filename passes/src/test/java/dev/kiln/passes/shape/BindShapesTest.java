package dev.kiln.passes.shape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BindShapesTest {
  private static Graph parse(String body) {
    return KilnText.parse("kiln 1\n" + body, "test.kiln", Path.of(".")).graph();
  }

  private static final Graph ADD = parse("""
      model m(%a: f32[N, 4], %b: f32[N, K]) -> (%y: f32[N, 4]) {
        %y = Add(%a, %b)
      }
      """);

  private static Map<String, long[]> shapes(Object... nameAndShape) {
    Map<String, long[]> m = new LinkedHashMap<>();
    for (int i = 0; i < nameAndShape.length; i += 2) {
      m.put((String) nameAndShape[i], (long[]) nameAndShape[i + 1]);
    }
    return m;
  }

  private static String error(Graph g, Map<String, long[]> shapes) {
    return assertThrows(ShapeBindingException.class, () -> BindShapes.bind(g, shapes)).getMessage();
  }

  @Test
  void bindsSymbolicDimsEverywhere() {
    Graph g = BindShapes.bind(ADD, shapes("a", new long[] {3, 4}, "b", new long[] {3, 1}));
    assertEquals(TensorType.of(DType.F32, 3, 4), g.inputs().get(0).type());
    assertEquals(TensorType.of(DType.F32, 3, 1), g.inputs().get(1).type());
    assertEquals(TensorType.of(DType.F32, 3, 4), g.outputs().get(0).type());
    assertEquals(TensorType.of(DType.F32, 3, 4), g.nodes().get(0).output(0).type());
    assertEquals(g.nodes().get(0).input(0), g.inputs().get(0));
  }

  @Test
  void inconsistentNamedDimsNameBothInputs() {
    assertEquals("input %b dim 0 binds N = 2, but dim 0 of input %a bound N = 3",
        error(ADD, shapes("a", new long[] {3, 4}, "b", new long[] {2, 4})));
  }

  @Test
  void inconsistentNamedDimsWithinOneInput() {
    Graph g = parse("""
        model m(%a: f32[N, N]) -> (%y: f32[N, N]) {
          %y = Relu(%a)
        }
        """);
    assertEquals("input %a dim 1 binds N = 4, but dim 0 of the same input bound N = 3",
        error(g, shapes("a", new long[] {3, 4})));
  }

  @Test
  void everyInputProblemAtOnce() {
    ShapeBindingException e = assertThrows(ShapeBindingException.class, () -> BindShapes.bind(ADD,
        shapes("a", new long[] {3, 5}, "c", new long[] {1})));
    assertEquals(List.of(
        "a shape is given for %c, which is not an input; the inputs are %a, %b",
        "input %a dim 1 is declared 4 (f32[N, 4]) but is given 5",
        "no shape is given for input %b (f32[N, K])"), e.problems());
  }

  @Test
  void wrongRankAndNegativeSizes() {
    assertEquals("input %a is declared f32[N, 4] (rank 2) but is given shape [3] (rank 1)\n"
            + "input %b dim 1 is given -1; sizes must be >= 0",
        error(ADD, shapes("a", new long[] {3}, "b", new long[] {3, -1})));
  }

  @Test
  void nodeRejectingBoundTypesIsNamed() {
    // K = 3 does not broadcast against 4.
    assertEquals("Add node defining %y: shapes [[2, 4], [2, 3]] cannot be broadcast: dimension 4"
            + " against 3",
        error(ADD, shapes("a", new long[] {2, 4}, "b", new long[] {2, 3})));
  }

  @Test
  void dataDependentShapeIsAnErrorNamingTheNode() {
    Graph g = parse("""
        model m(%n: i64[]) -> (%y: i64[?]) {
          %zero = Constant() {value_int = 0}
          %one = Constant() {value_int = 1}
          "r": %y = Range(%zero, %n, %one)
        }
        """);
    assertEquals("Range node 'r': the shape of output %y is i64[?], which depends on the data of its"
            + " inputs; compiled code needs static shapes, so the inputs that decide it must be"
            + " constants",
        error(g, shapes("n", new long[] {})));
  }

  private static final Graph RESHAPE_BY_INPUT = parse("""
      model m(%x: f32[2, 6], %shape: i64[2]) -> (%y: f32[?, ?], %s: i64[2]) {
        "r": %y = Reshape(%x, %shape)
        %s = Identity(%shape)
      }
      """);

  @Test
  void givenInputValuesFoldLikeConstants() {
    Graph bound = BindShapes.bind(RESHAPE_BY_INPUT,
        shapes("x", new long[] {2, 6}, "shape", new long[] {2}),
        Map.of("shape", Tensor.ofLongs(new long[] {2}, 3, -1)));
    // The input stays in the signature; the Reshape reads a constant with its values.
    assertEquals(List.of("x", "shape"), bound.inputs().stream().map(v -> v.name()).toList());
    assertEquals("shape.value", bound.nodes().get(0).input(1).name());
    assertArrayEquals(new long[] {3, -1},
        bound.constantsByName().get("shape.value").data().toLongArray());
    assertEquals(TensorType.of(DType.F32, 3, 4), bound.outputs().get(0).type());
    // Identity of a known value folds, so %s is a constant too.
    assertEquals(List.of("Reshape"), bound.nodes().stream().map(n -> n.op()).toList());
  }

  @Test
  void aGraphOutputThatIsAValuedInputStaysTheInput() {
    Graph g = parse("""
        model m(%x: f32[2, 6], %shape: i64[2]) -> (%y: f32[?, ?], %shape) {
          %y = Reshape(%x, %shape)
        }
        """);
    Graph bound = BindShapes.bind(g, shapes("x", new long[] {2, 6}, "shape", new long[] {2}),
        Map.of("shape", Tensor.ofLongs(new long[] {2}, 12, 1)));
    assertEquals(bound.inputs().get(1), bound.outputs().get(1));
  }

  @Test
  void theValueConstantGetsAFreshName() {
    Graph g = parse("""
        model m(%x: f32[2, 6], %s: i64[2]) -> (%y: f32[?, ?], %s.value: f32[2, 6]) {
          %y = Reshape(%x, %s)
          %s.value = Relu(%x)
        }
        """);
    Graph bound = BindShapes.bind(g, shapes("x", new long[] {2, 6}, "s", new long[] {2}),
        Map.of("s", Tensor.ofLongs(new long[] {2}, 12, 1)));
    assertEquals("s.value2", bound.nodes().get(0).input(1).name());
  }

  @Test
  void valuesThatDoNotFitTheirInputAreErrors() {
    ShapeBindingException e = assertThrows(ShapeBindingException.class, () -> BindShapes.bind(
        RESHAPE_BY_INPUT, shapes("x", new long[] {2, 6}, "shape", new long[] {2}),
        Map.of("shape", Tensor.ofInts(new long[] {2}, 3, 4),
            "z", Tensor.ofLongs(new long[] {1}, 1))));
    assertEquals(List.of(
        "a value is given for %z, which is not an input; the inputs are %x, %shape",
        "the value given for input %shape is i32[2], but the input is bound to i64[2]"),
        e.problems());
  }

  @Test
  void givenValuesStillHaveToMakeSense() {
    assertEquals("Reshape node 'r': cannot reshape input 0 of shape [2, 6] (12 elements) to"
            + " [5, -1]: 12 is not a multiple of 5",
        assertThrows(ShapeBindingException.class, () -> BindShapes.bind(RESHAPE_BY_INPUT,
            shapes("x", new long[] {2, 6}, "shape", new long[] {2}),
            Map.of("shape", Tensor.ofLongs(new long[] {2}, 5, -1)))).getMessage());
  }

  @Test
  void aCompileTimeSlotThatStaysUnknownIsAnError() {
    // Dropout's training_mode does not decide a shape, but compiled code must know it.
    Graph g = parse("""
        model m(%x: f32[4], %t: bool[]) -> (%y: f32[4]) {
          "d": %y = Dropout(%x, _, %t)
        }
        """);
    assertEquals("Dropout node 'd': input 2 (%t) is read at compile time, but its value depends"
            + " on data that compiled code is not specialized to; make it a constant",
        error(g, shapes("x", new long[] {4}, "t", new long[] {})));
    Graph bound = BindShapes.bind(g, shapes("x", new long[] {4}, "t", new long[] {}),
        Map.of("t", Tensor.ofBooleans(new long[] {}, false)));
    assertEquals(List.of("Dropout"), bound.nodes().stream().map(n -> n.op()).toList());
  }

  @Test
  void shapeArithmeticFoldsToConstants() {
    Graph g = parse("""
        model m(%x: f32[N, 3, 4]) -> (%y: f32[N, 12]) {
          %s = Shape(%x)
          %i = Constant() {value_ints = [0]}
          %n = Gather(%s, %i) {axis = 0}
          %rest = Constant() {value_ints = [12]}
          %target = Concat(%n, %rest) {axis = 0}
          %y = Reshape(%x, %target)
        }
        """);
    Graph bound = BindShapes.bind(g, shapes("x", new long[] {5, 3, 4}));
    assertEquals(List.of("Reshape"), bound.nodes().stream().map(n -> n.op()).toList());
    assertArrayEquals(new long[] {5, 12}, bound.constantsByName().get("target").data().toLongArray());
    assertEquals(TensorType.of(DType.F32, 5, 12), bound.outputs().get(0).type());
  }

  @Test
  void constantNodesFoldAtAnySize() {
    float[] big = new float[300 * 300];
    big[7] = 1.5f;
    var b = Graph.builder("g");
    var x = b.input("x", TensorType.of(DType.F32, 300, 300));
    var c = new dev.kiln.ir.graph.Value("c", TensorType.of(DType.F32, 300, 300));
    var y = new dev.kiln.ir.graph.Value("y", c.type());
    b.addNode(dev.kiln.ir.graph.Node.of("Constant", List.of(), List.of(c),
        dev.kiln.ir.graph.Attributes.builder().put("value", dev.kiln.ir.graph.Attribute.of(
            dev.kiln.ir.tensor.Tensor.ofFloats(new long[] {300, 300}, big))).build()));
    b.addNode(dev.kiln.ir.graph.Node.of("Add", new dev.kiln.ir.graph.Value[] {x, c}, y,
        dev.kiln.ir.graph.Attributes.EMPTY));
    b.output(y);
    Graph bound = BindShapes.bind(b.build(), shapes("x", new long[] {300, 300}));
    assertEquals(List.of("Add"), bound.nodes().stream().map(n -> n.op()).toList());
    assertEquals(1.5, bound.constantsByName().get("c").data().getDouble(7));
  }

  @Test
  void aRefinedOutputDeclarationThatBindingContradictsIsAnError() {
    // Inference cannot size a strided pool over a symbolic H, so the declaration may refine it;
    // with H bound, the refinement turns out wrong.
    Graph g = parse("""
        model m(%x: f32[1, 1, H, H]) -> (%y: f32[1, 1, H, H]) {
          "p": %y: f32[1, 1, H, H] = MaxPool(%x) {kernel_shape = [2, 2], strides = [2, 2]}
        }
        """);
    assertEquals("MaxPool node 'p': output %y is declared f32[1, 1, H, H] but is f32[1, 1, 2, 2]"
            + " for the given input shapes (H = 4)",
        error(g, shapes("x", new long[] {1, 1, 4, 4})));
  }
}
