package dev.kiln.tests.onnx;

import static dev.kiln.tests.KilnCli.kiln;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.tests.KilnCli.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln convert}, {@code kiln export} and {@code kiln run} on ONNX files. */
class OnnxCliTest {
  @TempDir Path tmp;

  private static Tensor randomImage(long n) {
    Random rnd = new Random(7);
    float[] v = new float[(int) (n * 3 * 32 * 32)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rnd.nextGaussian();
    }
    return Tensor.ofFloats(new long[] {n, 3, 32, 32}, v);
  }

  /** The same graph with every weights-file key dropped (ONNX has initializers, not keys). */
  static Graph withoutKeys(Graph g) {
    return new Graph(g.name(), g.inputs(), g.outputs(),
        g.constants().stream().map(c -> new Constant(c.value(), c.data(), Optional.empty()))
            .collect(com.google.common.collect.ImmutableList.toImmutableList()),
        g.nodes());
  }

  @Test
  void exportThenConvertBackRunsToTheSameOutputs() throws Exception {
    Path onnx = tmp.resolve("cnn.onnx");
    Result r = kiln("export", "examples/cnn/cnn.kiln", "-o", onnx.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("wrote " + onnx + "\n", r.out());

    Model original = Kiln.load(Path.of("examples/cnn/cnn.kiln"));
    Model exported = Kiln.load(onnx);
    assertEquals(withoutKeys(original.graph()), exported.graph());

    Path kiln = tmp.resolve("back.kiln");
    r = kiln("convert", onnx.toString(), "-o", kiln.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("wrote " + kiln + "\nwrote " + tmp.resolve("back.safetensors") + "\n", r.out());
    Model converted = Kiln.load(kiln);
    assertTrue(Files.readString(kiln).contains("weights \"back.safetensors\""));
    // Large constants went to the weights file under their names, small ones stayed inline.
    for (Constant c : converted.graph().constants()) {
      assertEquals(c.data().size() > 64, c.weightKey().isPresent(), c.value().name());
      c.weightKey().ifPresent(k -> assertEquals(c.value().name(), k));
    }

    Tensor image = randomImage(2);
    String in = original.inputs().get(0).name();
    Tensor expected = original.run(Map.of(in, image)).values().iterator().next();
    for (Model m : new Model[] {exported, converted}) {
      Tensor actual = m.run(Map.of(in, image)).values().iterator().next();
      assertEquals(expected, actual);
    }
  }

  @Test
  void runAcceptsOnnx() throws Exception {
    Path onnx = tmp.resolve("mlp.onnx");
    assertEquals(0, kiln("export", "examples/mlp/mlp.kiln", "-o", onnx.toString()).code());
    Result r = kiln("run", onnx.toString(), "--random-input", "--dim", "N=2");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("probs: f32[2, 10] min "), r.out());
    r = kiln("check", onnx.toString());
    assertEquals(0, r.code(), r.err());
  }

  @Test
  void wrongOutputKindsAndBadModelsAreUserErrors() throws Exception {
    Result r = kiln("convert", "examples/mlp/mlp.kiln", "-o", tmp.resolve("x.onnx").toString());
    assertEquals(1, r.code());
    assertEquals("kiln: error: the output of convert must be a .kiln file, got "
        + tmp.resolve("x.onnx") + "\n", r.err());
    r = kiln("export", "examples/mlp/mlp.kiln", "-o", tmp.resolve("x.kiln").toString());
    assertEquals(1, r.code());
    Path junk = Files.writeString(tmp.resolve("junk.onnx"), "not protobuf at all");
    r = kiln("run", junk.toString(), "--random-input");
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith(junk + ": error: not an ONNX model"), r.err());
  }

  @Test
  void sharedMlpConvertsAndRunsTheSame() throws Exception {
    Path onnx = SharedDir.require("models/mlp_b1.onnx");
    Path kiln = tmp.resolve("mlp.kiln");
    assertEquals(0, kiln("convert", onnx.toString(), "-o", kiln.toString()).code());
    Model a = Kiln.load(onnx);
    Model b = Kiln.load(kiln);
    Tensor input = dev.kiln.frontend.npy.Npy.read(onnx.resolveSibling("mlp_b1.input.npy"));
    String name = a.inputs().get(0).name();
    assertArrayEquals(a.run(Map.of(name, input)).values().iterator().next().toFloatArray(),
        b.run(Map.of(name, input)).values().iterator().next().toFloatArray());
  }
}
