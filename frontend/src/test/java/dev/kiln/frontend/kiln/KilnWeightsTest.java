package dev.kiln.frontend.kiln;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.Diagnostic;
import dev.kiln.frontend.ModelLoadException;
import dev.kiln.frontend.safetensors.SafeTensorsFile;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Models whose constants come from a safetensors file next to the model. */
class KilnWeightsTest {
  static final Tensor W = Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6);
  static final Tensor B = Tensor.ofFloats(new long[] {2}, 0.5f, -0.5f);

  @TempDir Path dir;

  @BeforeEach
  void writeWeights() {
    SafeTensorsFile.write(dir.resolve("mlp.safetensors"), Map.of("fc.weight", W, "fc.bias", B));
  }

  private KilnModel read(String text) throws Exception {
    Path file = dir.resolve("mlp.kiln");
    Files.writeString(file, text);
    return KilnText.read(file, OpRegistry.standard());
  }

  private List<Diagnostic> errors(String text) throws Exception {
    Path file = dir.resolve("mlp.kiln");
    Files.writeString(file, text);
    return assertThrows(ModelLoadException.class, () -> KilnText.read(file)).diagnostics();
  }

  private static String at(Diagnostic d) {
    return d.line() + ":" + d.column() + " " + d.message();
  }

  @Test
  void readsConstantsFromTheWeightsFileAndRoundTrips() throws Exception {
    KilnModel m = read("""
        model mlp(%x: f32[N, 3]) -> (%y) {
          weights "mlp.safetensors"
          const %w: f32[2, 3] = weights["fc.weight"]
          const %b: f32[2] = weights["fc.bias"]
          %y = Gemm(%x, %w, %b) {transB = 1}
        }
        """);
    assertEquals(Optional.of("mlp.safetensors"), m.weightsFile());
    Graph g = m.graph();
    assertEquals(List.of(Constant.weight("w", W, "fc.weight"), Constant.weight("b", B, "fc.bias")),
        g.constants());
    String printed = KilnText.print(m);
    assertTrue(printed.contains("  weights \"mlp.safetensors\"\n"), printed);
    assertTrue(printed.contains("  const %w: f32[2, 3] = weights[\"fc.weight\"]\n"), printed);
    assertEquals(g, read(printed).graph());
  }

  @Test
  void keyMissingFromTheFile() throws Exception {
    List<Diagnostic> e = errors("""
        model mlp() -> (%w) {
          weights "mlp.safetensors"
          const %w: f32[2, 3] = weights["fc.weights"]
        }
        """);
    assertEquals(List.of("3:33 weights file 'mlp.safetensors' has no tensor 'fc.weights'"
        + " (did you mean 'fc.weight'?)"), e.stream().map(KilnWeightsTest::at).toList());
  }

  @Test
  void declaredTypeDiffersFromTheStoredTensor() throws Exception {
    List<Diagnostic> e = errors("""
        model mlp() -> (%w, %b) {
          weights "mlp.safetensors"
          const %w: f32[3, 2] = weights["fc.weight"]
          const %b: f64[2] = weights["fc.bias"]
        }
        """);
    assertEquals(List.of(
        "3:13 constant %w is declared f32[3, 2] but weights 'fc.weight' in 'mlp.safetensors' is f32[2, 3]",
        "4:13 constant %b is declared f64[2] but weights 'fc.bias' in 'mlp.safetensors' is f32[2]"),
        e.stream().map(KilnWeightsTest::at).toList());
  }

  @Test
  void missingWeightsFile() throws Exception {
    List<Diagnostic> e = errors("""
        model mlp() -> (%w) {
          weights "gone.safetensors"
          const %w: f32[2, 3] = weights["fc.weight"]
        }
        """);
    assertEquals(List.of("2:11 weights file 'gone.safetensors' not found (looked for "
        + dir.toAbsolutePath().normalize().resolve("gone.safetensors") + ")"),
        e.stream().map(KilnWeightsTest::at).toList());
  }

  @Test
  void truncatedWeightsFileIsReportedAtTheDirective() throws Exception {
    Path file = dir.resolve("mlp.safetensors");
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length - 4));
    List<Diagnostic> e = errors("""
        model mlp() -> (%w) {
          weights "mlp.safetensors"
          const %w: f32[2, 3] = weights["fc.weight"]
        }
        """);
    assertEquals(1, e.size(), e.toString());
    assertEquals(2, e.get(0).line());
    assertEquals(11, e.get(0).column());
    assertTrue(e.get(0).message().startsWith("cannot read weights file 'mlp.safetensors': "),
        e.get(0).message());
  }

  @Test
  void lyingHeaderLengthIsReportedAtTheDirective() throws Exception {
    Path file = dir.resolve("mlp.safetensors");
    byte[] bytes = Files.readAllBytes(file);
    bytes[0] = (byte) 0xff;
    bytes[1] = (byte) 0xff;
    Files.write(file, bytes);
    List<Diagnostic> e = errors("""
        model mlp() -> (%w) {
          weights "mlp.safetensors"
          const %w: f32[2, 3] = weights["fc.weight"]
        }
        """);
    assertEquals(1, e.size(), e.toString());
    assertTrue(e.get(0).render().startsWith("""
        mlp.kiln:2:11: error: cannot read weights file 'mlp.safetensors': """.replace("mlp.kiln",
        dir.resolve("mlp.kiln").toString())), e.get(0).render());
  }

  @Test
  void oneWeightsDirectivePerModel() throws Exception {
    List<Diagnostic> e = errors("""
        model mlp() -> (%w) {
          weights "mlp.safetensors"
          weights "other.safetensors"
          const %w: f32[2, 3] = weights["fc.weight"]
        }
        """);
    assertEquals(List.of("3:3 a model has one weights directive; the first is at line 2"),
        e.stream().map(KilnWeightsTest::at).toList());
  }

  @Test
  void printingAWeightConstantNeedsAWeightsFile() {
    Graph g = Graph.builder("g").build().toBuilder().build();
    var b = g.toBuilder();
    b.addConstant(Constant.weight("w", W, "fc.weight"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> KilnText.print(new KilnModel(b.build(), Optional.empty())));
    assertEquals("constant %w refers to weights key 'fc.weight' but the model has no weights file",
        e.getMessage());
  }
}
