package dev.kiln.frontend.kiln;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KilnParseTest {
  static KilnModel parse(String text) {
    return KilnText.parse(text, "test.kiln", Path.of("."), TestOps.REGISTRY);
  }

  @Test
  void buildsTheGraphAStatementAtATime() {
    Graph g = parse("""
        kiln 1   // version
        model tiny(%x: f32[N, 4]) -> (%y: f32[N, 4]) {
          /* a block
             comment */
          const %b: f32[4] = [1, 2.5, -3, 1e-3]
          %h = TRelu(%x)
          "last": %y: f32[N, 4] = TAdd(%h, %b)
        }
        """).graph();
    TensorType xType = TensorType.of(DType.F32, Dim.named("N"), Dim.of(4));
    Value x = new Value("x", xType);
    Value b = new Value("b", TensorType.of(DType.F32, 4));
    Value h = new Value("h", xType);
    Value y = new Value("y", xType);
    Graph expected = new Graph(
        "tiny",
        ImmutableList.of(x),
        ImmutableList.of(y),
        ImmutableList.of(Constant.inline(b, Tensor.ofFloats(new long[] {4}, 1, 2.5f, -3, 1e-3f))),
        ImmutableList.of(
            Node.of("TRelu", x, h),
            Node.of("TAdd", List.of(h, b), List.of(y), Attributes.EMPTY).withName("last")));
    assertEquals(expected, g);
  }

  @Test
  void infersResultTypesAndTakesOutputTypesFromDefinitions() {
    Graph g = parse("""
        model m(%x: f32[2, 6]) -> (%a, %b) {
          %a, %b = TSplit(%x) {axis = 1}
        }
        """).graph();
    assertEquals(List.of(new Value("a", TensorType.of(DType.F32, 2, 3)),
        new Value("b", TensorType.of(DType.F32, 2, 3))), g.outputs());
  }

  @Test
  void aDeclaredTypeMayRefineAnUnknownDimension() {
    Graph g = parse("""
        model m(%x: f32[?, 3]) -> (%y) {
          %y: f32[7, 3] = TRelu(%x)
        }
        """).graph();
    assertEquals(TensorType.of(DType.F32, 7, 3), g.nodes().get(0).output(0).type());
  }

  @Test
  void foldsShapeArithmeticThroughKnownConstants() {
    Graph g = parse("""
        model m(%x: f32[2, 3, 4]) -> (%flat, %same) {
          const %t: i64[2] = [6, 4]
          %flat = TReshape(%x, %t)
          %s = TShape(%x)
          %same = TReshape(%flat, %s)
        }
        """).graph();
    assertEquals(TensorType.of(DType.F32, 6, 4), g.outputs().get(0).type());
    // %s is only known through folding TShape; without it the result would be f32[?, ?, ?].
    assertEquals(TensorType.of(DType.F32, 2, 3, 4), g.outputs().get(1).type());
  }

  @Test
  void absentOptionalInputsAreWrittenAsUnderscore() {
    Graph g = parse("""
        model m(%x: f32[3], %max: f32[]) -> (%c) {
          %c = TClip(%x, _, %max)
        }
        """).graph();
    Node n = g.nodes().get(0);
    assertEquals(3, n.inputCount());
    assertEquals(Optional.empty(), n.inputs().get(1));
    assertEquals("max", n.input(2).name());
  }

  @Test
  void readsEveryAttributeKindAndCoercesByTheSchema() {
    Graph g = parse("""
        model m(%x: f32[2]) -> (%y, %z) {
          %y = TEverything(%x) {i = -7, f = 2, s = "NOTSET", ints = [1, 2], floats = [1, 2.5],
                                strings = ["a", "b"], value = f32[2] [1.0, 2.0]}
          %z = TScale(%x) {alpha = -inf, pads = []}
        }
        """).graph();
    Attributes a = g.nodes().get(0).attributes();
    assertEquals(Attribute.of(-7L), a.get("i").orElseThrow());
    assertEquals(Attribute.of(2.0f), a.get("f").orElseThrow());
    assertEquals(Attribute.of("NOTSET"), a.get("s").orElseThrow());
    assertEquals(Attribute.ints(1, 2), a.get("ints").orElseThrow());
    assertEquals(Attribute.floats(1, 2.5f), a.get("floats").orElseThrow());
    assertEquals(Attribute.strings("a", "b"), a.get("strings").orElseThrow());
    assertEquals(Attribute.of(Tensor.ofFloats(new long[] {2}, 1, 2)), a.get("value").orElseThrow());
    Attributes s = g.nodes().get(1).attributes();
    assertEquals(Attribute.of(Float.NEGATIVE_INFINITY), s.get("alpha").orElseThrow());
    assertEquals(Attribute.floats(), s.get("pads").orElseThrow());
  }

  @Test
  void readsInlineConstantsOfEveryDtypeExactly() {
    Graph g = parse("""
        model m() -> (%a) {
          const %a: u64[2] = [0, 18446744073709551615]
          const %b: i8[3] = [-128, 0, 127]
          const %c: bool[2] = [true, false]
          const %d: f16[3] = [65504, -0.0, nan]
          const %e: bf16[] = 1.5
          const %f: f64[2] = [0.1, 1e-300]
          const %g: f32[] = [3]
        }
        """).graph();
    List<Constant> c = g.constants();
    assertEquals(-1L, c.get(0).data().getLong(1));
    assertArrayEquals(new long[] {-128, 0, 127}, c.get(1).data().toLongArray());
    assertTrue(c.get(2).data().getBoolean(0));
    assertEquals(65504.0, c.get(3).data().getDouble(0));
    assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(c.get(3).data().getDouble(1)));
    assertTrue(Double.isNaN(c.get(3).data().getDouble(2)));
    assertEquals(1.5, c.get(4).data().getDouble(0));
    assertEquals(0.1, c.get(5).data().getDouble(0));
    assertEquals(3.0, c.get(6).data().getDouble(0));
    assertEquals(0, c.get(6).data().rank());
  }

  @Test
  void hostileNamesAreQuoted() {
    Graph g = parse("""
        model "my model" (%"a \\"quoted\\" name": f32[batch, "seq len"]) -> (%onnx::Relu_1) {
          "node\\n1": %onnx::Relu_1 = TRelu(%"a \\"quoted\\" name")
        }
        """).graph();
    assertEquals("my model", g.name());
    assertEquals("a \"quoted\" name", g.inputs().get(0).name());
    assertEquals(Dim.named("seq len"), g.inputs().get(0).type().shape().dim(1));
    assertEquals("node\n1", g.nodes().get(0).name());
    assertEquals("onnx::Relu_1", g.outputs().get(0).name());
  }

  @Test
  void readsAFileRelativeToItsDirectory(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path file = dir.resolve("m.kiln");
    java.nio.file.Files.writeString(file, "\uFEFFmodel m(%x: f32[1]) -> (%x) {}\n");
    KilnModel m = KilnText.read(file, TestOps.REGISTRY);
    assertEquals("m", m.graph().name());
    assertEquals(Optional.empty(), m.weightsFile());
  }
}
