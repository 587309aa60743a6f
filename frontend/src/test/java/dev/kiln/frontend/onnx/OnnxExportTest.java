package dev.kiln.frontend.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.collect.ImmutableList;
import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxExportTest {
  @TempDir Path dir;

  static final String MODEL = """
      model net(%x: f32[N, 4], %"odd name": i64[2]) -> (%y: f32[N, 3], %s: i64[2]) {
        const %w: f32[3, 4] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        const %b: f32[3] = [0.5, -0.5, 0]
        const %one: f32[] = 1
        "fc": %h = Gemm(%x, %w, %b) {transB = 1, alpha = 0.5}
        %a = LeakyRelu(%h) {alpha = 0.1}
        %c = Clip(%a, _, %one)
        %y = Softmax(%c) {axis = -1}
        %m = Max(%"odd name", %"odd name")
        %s = Identity(%m)
      }
      """;

  /** Export then import gives an equal graph (constants inline: ONNX has no weights keys). */
  @Test
  void exportThenImportGivesAnEqualGraph() throws Exception {
    KilnModel original = KilnText.parse(MODEL, "net.kiln", dir);
    Path onnx = dir.resolve("net.onnx");
    ModelConversion.writeOnnx(original, onnx);
    KilnModel imported = OnnxModels.read(onnx);
    assertEquals(original.graph(), imported.graph());
  }

  /** Weight keys do not survive ONNX, but everything else does. */
  @Test
  void weightsBecomeInitializersAndComeBackInline() throws Exception {
    KilnModel original = KilnText.parse(MODEL, "net.kiln", dir);
    Path kiln = dir.resolve("conv.kiln");
    // Through Kiln text with a weights file: large constants get keys.
    Graph g = original.graph();
    Graph withKeys = new Graph(g.name(), g.inputs(), g.outputs(),
        ImmutableList.of(Constant.weight("w", g.constants().get(0).data(), "w"),
            g.constants().get(1), g.constants().get(2)), g.nodes());
    Path onnx = dir.resolve("net.onnx");
    ModelConversion.writeOnnx(new KilnModel(withKeys, java.util.Optional.of("x.safetensors")),
        onnx);
    assertEquals(g, OnnxModels.read(onnx).graph());
    List<Path> written = ModelConversion.writeKiln(OnnxModels.read(onnx), kiln);
    assertEquals(List.of(kiln), written);
  }
}
