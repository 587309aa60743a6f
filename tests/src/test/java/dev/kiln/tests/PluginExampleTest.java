package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Kiln;
import dev.kiln.api.ModelOptions;
import dev.kiln.ir.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example plugin (examples/plugin): built into a jar here, as examples/plugin/build.sh does,
 * then loaded by {@code kiln --plugin} and {@code ModelOptions.withPlugin}, its passes run by name.
 */
class PluginExampleTest {
  static final Path EXAMPLE = Path.of("examples/plugin");
  @TempDir static Path tmp;
  static Path jar;

  @BeforeAll
  static void buildTheJar() throws IOException {
    jar = PluginJars.build(EXAMPLE.resolve("src"), EXAMPLE.resolve("resources"), tmp, "example-passes.jar");
  }

  @Test
  void kilnRunsThePluginPassByName() {
    KilnCli.Result r = KilnCli.kiln("run", EXAMPLE.resolve("model.kiln").toString(), "--random-input",
        "--plugin", jar.toString(), "--passes=fold-double-negation,name-nodes{prefix=n},O1",
        "--print-ir-after=fold-double-negation,name-nodes");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("""
        // -----// IR after fold-double-negation //----- //
        kiln 1
        model negneg(%x: f32[N, 8]) -> (%y: f32[N, 8]) {
          %y: f32[N, 8] = Relu(%x)
        }
        // -----// IR after name-nodes{prefix=n} //----- //
        kiln 1
        model negneg(%x: f32[N, 8]) -> (%y: f32[N, 8]) {
          n0: %y: f32[N, 8] = Relu(%x)
        }
        """), r.err());
    KilnCli.Result plain = KilnCli.kiln("run", EXAMPLE.resolve("model.kiln").toString(), "--random-input");
    assertEquals(plain.out(), r.out(), "the pass changes the graph, not the result");
  }

  @Test
  void kilnPrintRunsThePipelineAndExplainsThePattern() {
    KilnCli.Result r = KilnCli.kiln("print", EXAMPLE.resolve("model.kiln").toString(),
        "--plugin", jar.toString(), "--passes=fold-double-negation", "--explain-fusion");
    assertEquals(0, r.code(), r.err());
    assertEquals("kiln 1\nmodel negneg(%x: f32[N, 8]) -> (%y: f32[N, 8]) {\n  %y: f32[N, 8] = Relu(%x)\n}\n", r.out());
    assertEquals("""
        remark: fold-double-negation: Neg node defining %a: not applied: its operand is not computed by a Neg
        remark: fold-double-negation: Neg node defining %b: applied
        remark: fold-double-negation: Neg node defining %a: not applied: its operand is not computed by a Neg
        """, r.err(), "the second walk finds nothing more; then the dead %a goes");
    KilnCli.Result list = KilnCli.kiln("passes", "--plugin", jar.toString());
    assertTrue(list.out().contains("  fold-double-negation   rewrite Neg(Neg(x)) to x (graph IR)\n"), list.out());
    assertTrue(list.out().contains("prefix=node: the start of every new name"), list.out());
  }

  @Test
  void theJavaApiLoadsThePluginToo() {
    List<String> dumps = new ArrayList<>();
    ModelOptions options = ModelOptions.defaults().withPlugin(jar).withPasses("fold-double-negation,O1");
    options = options.withPipelineOptions(options.pipelineOptions().withPrintIrAfter(List.of("fold-double-negation"))
        .withDiagnostics(dumps::add));
    var model = Kiln.load(EXAMPLE.resolve("model.kiln"), options);
    Tensor x = Tensor.ofFloats(new long[] {2, 8}, 1, -2, 3, -4, 5, -6, 7, -8, 0, 1, -1, 2, -2, 3, -3, 4);
    Tensor y = model.run(Map.of("x", x)).get("y");
    assertArrayEquals(new float[] {1, 0, 3, 0, 5, 0, 7, 0, 0, 1, 0, 2, 0, 3, 0, 4}, y.toFloatArray());
    assertEquals(1, dumps.size());
    assertFalse(dumps.get(0).contains("Neg"), dumps.get(0));
  }

  @Test
  void pluginMistakesAreClearErrors() throws IOException {
    KilnCli.Result r = KilnCli.kiln("print", "examples/mlp/mlp.kiln", "--plugin", "no/such.jar", "--passes=dce");
    assertEquals(1, r.code());
    assertEquals("kiln: error: --plugin no/such.jar: no such plugin jar\n", r.err());
    Path empty = tmp.resolve("empty.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(empty))) {
      out.putNextEntry(new JarEntry("x.txt"));
      out.closeEntry();
    }
    r = KilnCli.kiln("print", "examples/mlp/mlp.kiln", "--plugin", empty.toString(), "--passes=dce");
    assertEquals(1, r.code());
    assertEquals("kiln: error: --plugin " + empty + ": no pass plugin in it (a plugin jar lists its PassPlugin "
        + "implementation in META-INF/services/dev.kiln.passes.pipeline.PassPlugin)\n", r.err());
    r = KilnCli.kiln("print", "examples/mlp/mlp.kiln", "--plugin", jar.toString(), "--plugin", jar.toString(),
        "--passes=dce");
    assertEquals(1, r.code());
    assertEquals("kiln: error: --plugin " + jar + ": plugin example-passes: 'fold-double-negation' is already "
        + "registered as a pass\n", r.err());
    r = KilnCli.kiln("run", EXAMPLE.resolve("model.kiln").toString(), "--random-input",
        "--passes=fold-double-negation");
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("kiln: error: --passes: pipeline column 1: unknown pass 'fold-double-negation'"),
        r.err());
  }
}
