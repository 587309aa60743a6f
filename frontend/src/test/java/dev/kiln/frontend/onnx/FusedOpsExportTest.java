package dev.kiln.frontend.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.frontend.ModelLoadException;
import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.frontend.onnx.proto.Onnx;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kiln's fused operators (made by the fuse-epilogue pass) in the Kiln language and in ONNX:
 * printing and parsing round-trips them; FusedConv exports as ONNX Runtime's
 * com.microsoft.FusedConv; the others, with no ONNX form, fail naming the node.
 */
class FusedOpsExportTest {
  @TempDir Path dir;

  static final String FUSED = """
      model fused(%x: f32[1, 2, 4, 4], %z: f32[1, 3, 4, 4], %a: f32[4, 2]) -> (%y: f32[1, 3, 4, 4],
          %g: f32[4, 3], %m: f32[4, 3]) {
        const %w: f32[3, 2, 1, 1] = [1, 2, 3, 4, 5, 6]
        const %b: f32[3] = [0.5, -0.5, 0]
        const %v: f32[2, 3] = [1, 2, 3, 4, 5, 6]
        "c": %y = FusedConv(%x, %w, %b, %z) {activation = "LeakyRelu", activation_params = [0.1]}
        %g = FusedGemm(%a, %v, %b) {activation = "Gelu"}
        %m = FusedMatMul(%a, %v, _, %g) {activation = "Clip", activation_params = [0, 6]}
      }
      """;

  @Test
  void kilnTextRoundTrips() {
    KilnModel parsed = KilnText.parse(FUSED, "fused.kiln", dir);
    KilnModel again = KilnText.parse(KilnText.print(parsed), "again.kiln", dir);
    assertEquals(parsed.graph(), again.graph());
  }

  @Test
  void fusedConvExportsInTheMicrosoftDomain() throws Exception {
    String convOnly = """
        model conv(%x: f32[1, 2, 4, 4]) -> (%y: f32[1, 3, 4, 4]) {
          const %w: f32[3, 2, 1, 1] = [1, 2, 3, 4, 5, 6]
          "c": %y = FusedConv(%x, %w) {activation = "Relu"}
        }
        """;
    Path onnx = dir.resolve("conv.onnx");
    ModelConversion.writeOnnx(KilnText.parse(convOnly, "conv.kiln", dir), onnx);
    Onnx.ModelProto proto = Onnx.ModelProto.parseFrom(Files.readAllBytes(onnx));
    assertEquals("com.microsoft", proto.getGraph().getNode(0).getDomain());
    assertEquals("FusedConv", proto.getGraph().getNode(0).getOpType());
    assertEquals("com.microsoft", proto.getOpsetImport(1).getDomain());
  }

  @Test
  void operatorsWithoutAnOnnxFormAreRefusedByName() {
    Path onnx = dir.resolve("fused.onnx");
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> ModelConversion.writeOnnx(KilnText.parse(FUSED.replace("LeakyRelu", "Relu")
            .replace(", activation_params = [0.1]", ""), "fused.kiln", dir), onnx));
    assertEquals(onnx + ": error: cannot export: FusedGemm node defining %g is a Kiln fused"
        + " operator with no ONNX equivalent; export the model before the fuse-epilogue pass",
        e.getMessage().strip());
    e = assertThrows(ModelLoadException.class,
        () -> ModelConversion.writeOnnx(KilnText.parse(FUSED.replace("\"LeakyRelu\", activation_params = [0.1]",
            "\"FastGelu\""), "fused.kiln", dir), onnx));
    assertEquals(onnx + ": error: cannot export: FusedConv node 'c' has activation FastGelu, which"
        + " ONNX Runtime's com.microsoft.FusedConv does not have; export the model before the"
        + " fuse-epilogue pass", e.getMessage().strip());
  }
}
