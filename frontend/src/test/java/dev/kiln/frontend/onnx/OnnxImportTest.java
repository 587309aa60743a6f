package dev.kiln.frontend.onnx;

import static dev.kiln.frontend.onnx.OnnxProtos.floatAttr;
import static dev.kiln.frontend.onnx.OnnxProtos.floats;
import static dev.kiln.frontend.onnx.OnnxProtos.graphAttr;
import static dev.kiln.frontend.onnx.OnnxProtos.intAttr;
import static dev.kiln.frontend.onnx.OnnxProtos.intsAttr;
import static dev.kiln.frontend.onnx.OnnxProtos.longs;
import static dev.kiln.frontend.onnx.OnnxProtos.model;
import static dev.kiln.frontend.onnx.OnnxProtos.names;
import static dev.kiln.frontend.onnx.OnnxProtos.node;
import static dev.kiln.frontend.onnx.OnnxProtos.value;
import static dev.kiln.frontend.onnx.OnnxProtos.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kiln.frontend.ModelLoadException;
import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.onnx.proto.Onnx;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.interpreter.ReferenceInterpreter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxImportTest {
  @TempDir Path dir;

  static final int F32 = 1;
  static final int I64 = 7;

  private KilnModel read(Onnx.ModelProto m) {
    return OnnxModels.read(write(dir.resolve("m.onnx"), m));
  }

  private static Map<String, Tensor> run(KilnModel m, Map<String, Tensor> inputs) {
    return new ReferenceInterpreter(m.graph(), OpRegistry.standard()).run(inputs);
  }

  @Test
  void gemmReluWithInitializersRuns() {
    Onnx.GraphProto g = Onnx.GraphProto.newBuilder().setName("mlp")
        .addInput(value("x", F32, "N", 2))
        .addInitializer(floats("w", new long[] {3, 2}, 1, 0, 0, 1, 1, 1))
        .addInitializer(floats("b", new long[] {3}, 0, -10, 1))
        .addNode(node("Gemm", "fc", names("x", "w", "b"), names("h"), intAttr("transB", 1)))
        .addNode(node("Relu", "", names("h"), names("y")))
        .addOutput(value("y", F32, "N", 3))
        .build();
    KilnModel m = read(model(13, g));
    assertEquals(TensorType.of(DType.F32, new Dim.Named("N"), Dim.of(3)),
        m.graph().outputs().get(0).type());
    Tensor y = run(m, Map.of("x", Tensor.ofFloats(new long[] {1, 2}, 2, 3))).get("y");
    assertArrayEquals(new float[] {2, 0, 6}, y.toFloatArray());
  }

  @Test
  void symbolicAndUnknownDims() {
    Onnx.GraphProto g = Onnx.GraphProto.newBuilder()
        .addInput(value("x", F32, "batch", "?", 4))
        .addNode(node("Identity", "", names("x"), names("y")))
        .addOutput(value("y", F32, "batch", "?", 4))
        .build();
    Graph graph = read(model(13, g)).graph();
    assertEquals(Shape.of(new Dim.Named("batch"), Dim.UNKNOWN, Dim.of(4)),
        graph.inputs().get(0).type().shape());
  }

  @Test
  void everyUnsupportedNodeIsReportedInOneError() {
    Onnx.GraphProto g = Onnx.GraphProto.newBuilder()
        .addInput(value("x", F32, 1, 3, 8, 8))
        .addInput(value("s", 8, 2))
        .addInitializer(floats("w", new long[] {4, 3, 3, 3}, new float[108]))
        .addNode(node("Conv", "conv1", names("x", "w"), names("c"), intAttr("bogus", 1)))
        .addNode(node("FancyOp", "fancy", names("c"), names("f")))
        .addNode(node("Cast", "", names("x"), names("str"), intAttr("to", 8)))
        .addNode(Onnx.NodeProto.newBuilder().setOpType("FusedGelu").setDomain("com.microsoft")
            .setName("ms").addInput("x").addOutput("g").build())
        .addNode(node("Relu", "after", names("f"), names("y")))
        .addOutput(value("y", F32, 1, 4, 6, 6))
        .build();
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> read(model(13, g)));
    String msg = e.getMessage();
    assertEquals(5, e.diagnostics().size(), msg);
    assertTrue(msg.contains("graph input 's' element type STRING is not supported"), msg);
    assertTrue(msg.contains("node 'conv1' (Conv, ai.onnx opset 13): unknown attribute 'bogus'"),
        msg);
    assertTrue(msg.contains("node 'fancy' (FancyOp, ai.onnx opset 13): operator 'FancyOp' is not "
        + "supported"), msg);
    assertTrue(msg.contains("(Cast, ai.onnx opset 13) defining 'str': attribute 'to' is 8"), msg);
    assertTrue(msg.contains("node 'ms' (FusedGelu, com.microsoft): operator domain "
        + "'com.microsoft' is not supported"), msg);
    // The Relu after the failed FancyOp is not reported again: its input is poisoned.
    assertTrue(!msg.contains("'after'"), msg);
    assertTrue(msg.startsWith(dir.resolve("m.onnx") + ": error: "), msg);
  }

  @Test
  void malformedTensorsAndAttributesAreReportedNotThrown() {
    Onnx.TensorProto huge = Onnx.TensorProto.newBuilder().setName("t").setDataType(1)
        .addDims(1L << 40).addDims(1L << 40).build();
    Onnx.GraphProto g = Onnx.GraphProto.newBuilder()
        .addInput(value("x", F32, 2))
        .addInitializer(huge)
        .addNode(node("Constant", "k", names(), names("c"), Onnx.AttributeProto.newBuilder()
            .setName("value").setType(Onnx.AttributeProto.AttributeType.TENSOR).setT(huge)
            .build()))
        .addNode(node("Relu", "r", names("x"), names("y"), Onnx.AttributeProto.newBuilder()
            .setName("alpha").setRefAttrName("a").build()))
        .addOutput(value("y", F32, 2))
        .build();
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> read(model(13, g)));
    assertEquals(java.util.List.of(
        "initializer 't': its size [1099511627776, 1099511627776] overflows a 64-bit count",
        "node 'k' (Constant, ai.onnx opset 13): attribute 'value': its size [1099511627776, "
            + "1099511627776] overflows a 64-bit count",
        "node 'r' (Relu, ai.onnx opset 13): attribute 'alpha' refers to a function attribute "
            + "('a') outside of any function"),
        e.diagnostics().stream().map(d -> d.message()).toList());
  }

  @Test
  void outputsDeclaredWithAnotherTypeOrRankAreErrors() {
    Onnx.GraphProto g = Onnx.GraphProto.newBuilder()
        .addInput(value("x", F32, 2, 3))
        .addNode(node("Relu", "", names("x"), names("y")))
        .addNode(node("Relu", "", names("x"), names("z")))
        .addOutput(value("y", I64, 2, 3))
        .addOutput(value("z", F32, 6))
        .build();
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> read(model(13, g)));
    assertEquals(2, e.diagnostics().size(), e.getMessage());
    assertEquals("graph output 'y' is declared INT64 but Kiln infers f32[2, 3]",
        e.diagnostics().get(0).message());
    assertEquals("graph output 'z' is declared rank 1 but Kiln infers f32[2, 3]",
        e.diagnostics().get(1).message());
  }

  @Test
  void shapeArithmeticFoldsToStaticShapes() {
    // What exporters emit for x.view(x.size(0), -1): Shape, Gather, Unsqueeze, Concat, Reshape.
    Onnx.GraphProto g = Onnx.GraphProto.newBuilder()
        .addInput(value("x", F32, 2, 3, 4))
        .addInitializer(longs("zero", new long[] {}, 0))
        .addInitializer(longs("minus1", new long[] {1}, -1))
        .addNode(node("Shape", "", names("x"), names("s")))
        .addNode(node("Gather", "", names("s", "zero"), names("n"), intAttr("axis", 0)))
        .addNode(node("Unsqueeze", "", names("n"), names("n1"), intsAttr("axes", 0)))
        .addNode(node("Concat", "", names("n1", "minus1"), names("shape"), intAttr("axis", 0)))
        .addNode(node("Reshape", "", names("x", "shape"), names("y")))
        .addOutput(value("y", F32, "?", "?"))
        .build();
    Graph graph = read(model(11, g)).graph();
    assertEquals(TensorType.of(DType.F32, 2, 12), graph.outputs().get(0).type());
  }

  @Test
  void olderOpsetFormsAreNormalized() {
    Onnx.GraphProto g = Onnx.GraphProto.newBuilder()
        .addInput(value("x", F32, 1, 2, 3))
        .addNode(node("Clip", "clip", names("x"), names("c"), floatAttr("min", -1f),
            floatAttr("max", 1f)))
        .addNode(node("Pad", "pad", names("c"), names("p"), intsAttr("pads", 0, 0, 1, 0, 0, 0),
            floatAttr("value", 5f)))
        .addNode(node("Slice", "slice", names("p"), names("s"), intsAttr("starts", 0),
            intsAttr("ends", 2), intsAttr("axes", 2)))
        .addNode(node("Softmax", "sm", names("s"), names("y"), intAttr("axis", 1)))
        .addNode(node("Dropout", "drop", names("y"), names("z"), floatAttr("ratio", 0.5f)))
        .addOutput(value("z", F32, 1, 2, 2))
        .build();
    KilnModel m = read(model(9, g));
    Tensor x = Tensor.ofFloats(new long[] {1, 2, 3}, -3, 0.5f, 9, 0, 0, 0);
    Tensor z = run(m, Map.of("x", x)).get("z");
    // Clip: [-1, .5, 1, 0, 0, 0]; Pad the last axis in front with 5: [5, -1, .5, 1], [5, 0, 0, 0];
    // Slice [0, 2) of the last axis: [5, -1], [5, 0]; opset-9 Softmax at axis 1 normalizes all
    // four values together (2-D coercion), not each column.
    double e5 = Math.exp(5);
    double e0 = 1;
    double em1 = Math.exp(-1);
    double sum = 2 * e5 + em1 + e0;
    assertArrayEquals(new float[] {(float) (e5 / sum), (float) (em1 / sum), (float) (e5 / sum),
        (float) (e0 / sum)}, z.toFloatArray(), 1e-6f);
  }

  @Test
  void batchNormalizationBeforeOpset14IsInTrainingFormWhenItHasRunningOutputs() {
    // One channel [1, 3]: batch mean 2, population variance 1; momentum 0.5 halves the way
    // from the running statistics (0, 0) to the batch's.
    Onnx.GraphProto g = Onnx.GraphProto.newBuilder()
        .addInput(value("x", F32, 2, 1))
        .addInitializer(floats("one", new long[] {1}, 1))
        .addInitializer(floats("zero", new long[] {1}, 0))
        .addNode(node("BatchNormalization", "bn", names("x", "one", "zero", "zero", "zero"),
            names("y", "mean", "var"), floatAttr("epsilon", 0f), floatAttr("momentum", 0.5f)))
        .addOutput(value("y", F32, 2, 1))
        .addOutput(value("mean", F32, 1))
        .addOutput(value("var", F32, 1))
        .build();
    Map<String, Tensor> out =
        run(read(model(9, g)), Map.of("x", Tensor.ofFloats(new long[] {2, 1}, 1, 3)));
    assertArrayEquals(new float[] {-1, 1}, out.get("y").toFloatArray(), 1e-6f);
    assertArrayEquals(new float[] {1}, out.get("mean").toFloatArray(), 1e-6f);
    assertArrayEquals(new float[] {0.5f}, out.get("var").toFloatArray(), 1e-6f);

    Onnx.GraphProto saved = g.toBuilder()
        .setNode(0, node("BatchNormalization", "bn", names("x", "one", "zero", "zero", "zero"),
            names("y", "mean", "var", "saved_mean")))
        .build();
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> read(model(9, saved)));
    assertTrue(e.getMessage().contains("node 'bn' (BatchNormalization, ai.onnx opset 9): outputs"
        + " 3 and 4 (saved_mean, saved_var) of the training form are not supported"),
        e.getMessage());
  }

  @Test
  void batchNormalizationInInferenceModeWithRunningOutputsIsRejected() {
    Onnx.GraphProto g = Onnx.GraphProto.newBuilder()
        .addInput(value("x", F32, 2, 1))
        .addInitializer(floats("one", new long[] {1}, 1))
        .addNode(node("BatchNormalization", "bn", names("x", "one", "one", "one", "one"),
            names("y", "mean", "var")))
        .addOutput(value("y", F32, 2, 1))
        .build();
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> read(model(15, g)));
    assertTrue(e.getMessage().contains("node 'bn' (BatchNormalization, ai.onnx opset 15): "
        + "BatchNormalization in inference mode has only output Y, got 3 outputs"),
        e.getMessage());
  }

  @Test
  void hardmaxAndTopKBeforeTheirOpsetChanges() {
    // Opset-11 Hardmax at axis 1 of [1, 2, 2] takes the maximum over the flattened [1, 4] (the
    // 5), not per column; opset-9 TopK has k as an attribute.
    Onnx.GraphProto g = Onnx.GraphProto.newBuilder()
        .addInput(value("x", F32, 1, 2, 2))
        .addNode(node("Hardmax", "hm", names("x"), names("h"), intAttr("axis", 1)))
        .addNode(node("TopK", "top", names("h"), names("v", "i"), intAttr("k", 1)))
        .addOutput(value("v", F32, 1, 2, 1))
        .addOutput(value("i", I64, 1, 2, 1))
        .build();
    Tensor x = Tensor.ofFloats(new long[] {1, 2, 2}, 1, 5, 3, 2);
    Map<String, Tensor> hard = run(read(model(9, g)), Map.of("x", x));
    assertArrayEquals(new float[] {1, 0}, hard.get("v").toFloatArray());
    assertArrayEquals(new long[] {1, 0}, hard.get("i").toLongArray());
  }

  @Test
  void softmaxOfOpset13NormalizesOneAxis() {
    Onnx.GraphProto g = Onnx.GraphProto.newBuilder()
        .addInput(value("x", F32, 2, 2))
        .addNode(node("Softmax", "", names("x"), names("y"), intAttr("axis", 0)))
        .addOutput(value("y", F32, 2, 2))
        .build();
    Tensor y = run(read(model(13, g)), Map.of("x", Tensor.ofFloats(new long[] {2, 2}, 0, 1, 0, 1)))
        .get("y");
    assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, y.toFloatArray(), 1e-6f);
  }

  @Test
  void typedFieldsOfEveryKindAreRead() {
    Onnx.TensorProto f16 = Onnx.TensorProto.newBuilder().setName("h").setDataType(10).addDims(2)
        .addInt32Data(Float.floatToFloat16(1.5f)).addInt32Data(Float.floatToFloat16(-2f)).build();
    Onnx.TensorProto bools = Onnx.TensorProto.newBuilder().setName("b").setDataType(9).addDims(3)
        .addInt32Data(1).addInt32Data(0).addInt32Data(7).build();
    Onnx.TensorProto u64 = Onnx.TensorProto.newBuilder().setName("u").setDataType(13).addDims(1)
        .addUint64Data(-1L).build();
    Onnx.TensorProto i8 = Onnx.TensorProto.newBuilder().setName("i").setDataType(3).addDims(2)
        .addInt32Data(-128).addInt32Data(127).build();
    Onnx.TensorProto f64 = Onnx.TensorProto.newBuilder().setName("d").setDataType(11)
        .addDoubleData(0.1).build();
    Onnx.TensorProto f32 = Onnx.TensorProto.newBuilder().setName("f").setDataType(1).addDims(2)
        .addFloatData(1f).addFloatData(2f).build();
    assertArrayEquals(new double[] {1.5, -2}, read(f16).toDoubleArray());
    assertArrayEquals(new long[] {1, 0, 1}, read(bools).toLongArray());
    assertEquals(-1L, read(u64).getLong(0));
    assertArrayEquals(new long[] {-128, 127}, read(i8).toLongArray());
    assertEquals(0.1, read(f64).getDouble(0));
    assertArrayEquals(new float[] {1, 2}, read(f32).toFloatArray());
    InvalidOnnxException e = assertThrows(InvalidOnnxException.class,
        () -> read(f32.toBuilder().addFloatData(3f).build()));
    assertEquals("float_data has 3 elements; a f32 tensor of this shape has 2", e.getMessage());
    e = assertThrows(InvalidOnnxException.class, () -> read(Onnx.TensorProto.newBuilder()
        .setDataType(1).addDims(2).setRawData(ByteString.copyFrom(new byte[7])).build()));
    assertEquals("raw_data has 7 bytes; f32[2] needs 8", e.getMessage());
  }

  private static Tensor read(Onnx.TensorProto t) {
    return OnnxTensors.read(t, java.util.Optional.empty());
  }

  @Test
  void localFunctionsAreInlined() {
    Onnx.FunctionProto f = Onnx.FunctionProto.newBuilder().setName("AddScaled")
        .setDomain("my.functions")
        .addInput("a").addInput("b").addOutput("out").addAttribute("alpha")
        .addNode(Onnx.NodeProto.newBuilder().setOpType("Constant").addOutput("k")
            .addAttribute(Onnx.AttributeProto.newBuilder().setName("value_float")
                .setType(Onnx.AttributeProto.AttributeType.FLOAT).setRefAttrName("alpha")))
        .addNode(node("Mul", "", names("b", "k"), names("bk")))
        .addNode(node("Add", "", names("a", "bk"), names("out")))
        .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setVersion(13))
        .build();
    Onnx.GraphProto g = Onnx.GraphProto.newBuilder()
        .addInput(value("x", F32, 2))
        .addNode(Onnx.NodeProto.newBuilder().setOpType("AddScaled").setDomain("my.functions")
            .addInput("x").addInput("x").addOutput("y").addAttribute(floatAttr("alpha", 3f)))
        .addOutput(value("y", F32, 2))
        .build();
    Onnx.ModelProto m = model(13, g).toBuilder().addFunctions(f)
        .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("my.functions")
            .setVersion(1))
        .build();
    Tensor y = run(read(m), Map.of("x", Tensor.ofFloats(new long[] {2}, 1, 2))).get("y");
    assertArrayEquals(new float[] {4, 8}, y.toFloatArray());
  }

  @Test
  void ifWithAConstantConditionIsInlined() {
    Onnx.GraphProto then = Onnx.GraphProto.newBuilder()
        .addNode(node("Neg", "", names("x"), names("t")))
        .addOutput(value("t", F32, 2)).build();
    Onnx.GraphProto otherwise = Onnx.GraphProto.newBuilder()
        .addNode(node("Relu", "", names("x"), names("e")))
        .addOutput(value("e", F32, 2)).build();
    Onnx.TensorProto cond = Onnx.TensorProto.newBuilder().setName("cond").setDataType(9)
        .addInt32Data(1).build();
    Onnx.GraphProto g = Onnx.GraphProto.newBuilder()
        .addInput(value("x", F32, 2))
        .addInitializer(cond)
        .addNode(node("If", "if", names("cond"), names("y"), graphAttr("then_branch", then),
            graphAttr("else_branch", otherwise)))
        .addOutput(value("y", F32, 2))
        .build();
    KilnModel m = read(model(13, g));
    assertEquals("y", m.graph().outputs().get(0).name());
    Tensor y = run(m, Map.of("x", Tensor.ofFloats(new long[] {2}, 1, -2))).get("y");
    assertArrayEquals(new float[] {-1, 2}, y.toFloatArray());

    Onnx.GraphProto dynamic = g.toBuilder().clearInitializer().addInput(value("cond", 9)).build();
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> read(model(13, dynamic)));
    assertTrue(e.getMessage().contains("node 'if' (If, ai.onnx opset 13): the condition 'cond' "
        + "is computed at run time"), e.getMessage());
  }

  @Test
  void anyValueNameIsMappedSafely() {
    Onnx.GraphProto g = Onnx.GraphProto.newBuilder()
        .addInput(value("x y\"%", F32, 2))
        .addInitializer(floats("", new long[] {2}, 1, 1).toBuilder().setName("w").build())
        // A clip with an absent min (empty name) and a max.
        .addInitializer(floats("max", new long[] {}, 0.5f))
        .addNode(node("Clip", "", names("x y\"%", "", "max"), names("c")))
        // A name reused for a second definition: later uses see the latest one.
        .addNode(node("Add", "", names("c", "w"), names("t")))
        .addNode(node("Neg", "", names("t"), names("t")))
        .addNode(node("Identity", "", names("t"), names("ÿ\n")))
        .addOutput(value("ÿ\n", F32, 2))
        .addOutput(value("x y\"%", F32, 2))
        .build();
    KilnModel m = read(model(13, g));
    Map<String, Tensor> out = run(m, Map.of("x y\"%", Tensor.ofFloats(new long[] {2}, 0, 1)));
    assertArrayEquals(new float[] {-1, -1.5f}, out.get("ÿ\n").toFloatArray());
    assertArrayEquals(new float[] {0, 1}, out.get("x y\"%").toFloatArray());
  }

  @Test
  void missingAndInvalidFilesAreClearErrors() throws Exception {
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> OnnxModels.read(dir.resolve("nope.onnx")));
    assertEquals(dir.resolve("nope.onnx") + ": error: no such file", e.getMessage());
    Path junk = Files.write(dir.resolve("junk.onnx"), new byte[] {(byte) 0xff, 1, 2, 3});
    e = assertThrows(ModelLoadException.class, () -> OnnxModels.read(junk));
    assertTrue(e.getMessage().startsWith(junk + ": error: not an ONNX model"), e.getMessage());
    Onnx.GraphProto g = Onnx.GraphProto.newBuilder().addInput(value("x", F32, 2))
        .addNode(node("Relu", "", names("x"), names("y"))).addOutput(value("y", F32, 2)).build();
    e = assertThrows(ModelLoadException.class, () -> read(model(19, g)));
    assertTrue(e.getMessage().contains("default-domain opset 19; Kiln imports opsets 1 to 18"),
        e.getMessage());
  }
}
