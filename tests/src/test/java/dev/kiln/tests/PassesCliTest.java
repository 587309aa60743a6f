package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Kiln;
import dev.kiln.api.ModelOptions;
import dev.kiln.api.Passes;
import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.passes.pipeline.PassCrashException;
import dev.kiln.passes.pipeline.PassInfo;
import dev.kiln.passes.pipeline.PassRegistry;
import dev.kiln.passes.pipeline.Pipeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pass pipeline options of kiln run, compile and print, and the pipeline through the Java API. */
class PassesCliTest {
  static final String MLP = "examples/mlp/mlp.kiln";

  @Test
  void printIrAfterAllShowsGraphIrThenLoopIr() {
    KilnCli.Result r = KilnCli.kiln("run", MLP, "--random-input", "--print-ir-after-all");
    assertEquals(0, r.code(), r.err());
    String e = r.err();
    int bind = e.indexOf("// -----// IR after bind-shapes //----- //\nkiln 1\nmodel mlp(%x: f32[1, 784])");
    int lower = e.indexOf("// -----// IR after lower-graph-to-loops //----- //\nprogram mlp(");
    int schedule = e.indexOf("// -----// IR after schedule //----- //\nprogram mlp(");
    int plan = e.indexOf("// -----// IR after plan-memory //----- //\nprogram mlp(");
    assertTrue(bind >= 0 && bind < lower && lower < schedule && schedule < plan, e);
    assertTrue(e.contains("const %fc1.weight: f32[128, 784] = weights[\"fc1.weight\"]"), e);
  }

  @Test
  void everyLevelGivesTheSameResult(@TempDir Path tmp) throws IOException {
    KilnCli.Result o1 = KilnCli.kiln("run", "examples/cnn/cnn.kiln", "--random-input", "-O1", "--output", tmp.resolve("O1").toString());
    assertEquals(0, o1.code(), o1.err());
    float[] expected = dev.kiln.frontend.npy.Npy.read(tmp.resolve("O1/logits.npy")).toFloatArray();
    // No -O: the default level, -O3.
    for (String level : new String[] {"-O0", "-O2", "-O3", "default"}) {
      Path dir = tmp.resolve(level);
      KilnCli.Result r = level.equals("default")
          ? KilnCli.kiln("run", "examples/cnn/cnn.kiln", "--random-input", "--output", dir.toString())
          : KilnCli.kiln("run", "examples/cnn/cnn.kiln", "--random-input", level, "--output", dir.toString());
      assertEquals(0, r.code(), r.err());
      float[] actual = dev.kiln.frontend.npy.Npy.read(dir.resolve("logits.npy")).toFloatArray();
      for (int i = 0; i < expected.length; i++) {
        // Graph passes (folded batch norms) may round differently: within 1e-5 of the magnitude.
        assertEquals(expected[i], actual[i], 1e-5 * (1 + Math.abs(expected[i])), level + " logits[" + i + "]");
      }
    }
    KilnCli.Result bad = KilnCli.kiln("run", MLP, "--random-input", "-O7");
    assertEquals(1, bad.code());
    assertEquals("kiln: error: -O takes a level from 0 to 3, got 7\n", bad.err());
  }

  @Test
  void timePassesPrintsATable() {
    KilnCli.Result r = KilnCli.kiln("run", MLP, "--random-input", "--time-passes", "--passes=dce,O1");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().startsWith("===-- pass timing: 5 passes, "), r.err());
    assertTrue(r.err().contains("%  dce\n") && r.err().contains("%  schedule\n") && r.err().contains("%  total\n"),
        r.err());
  }

  @Test
  void printAfterChangeSkipsPassesThatChangeNothing() {
    KilnCli.Result r = KilnCli.kiln("run", MLP, "--random-input", "--print-ir-after-change", "--passes=dce,O0");
    assertEquals(0, r.code(), r.err());
    assertTrue(!r.err().contains("IR after dce") && r.err().contains("IR after bind-shapes"), r.err());
  }

  @Test
  void aGraphPipelineIsCompletedToCode() {
    KilnCli.Result r = KilnCli.kiln("run", MLP, "--random-input", "--passes=dce", "--time-passes");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("%  bind-shapes\n") && r.err().contains("%  lower-graph-to-loops\n")
        && r.err().contains("%  schedule\n") && r.err().contains("%  plan-memory\n"), r.err());
  }

  @Test
  void printRunsThePipelineAsWritten() {
    KilnCli.Result r = KilnCli.kiln("print", MLP, "--passes=bind-shapes", "--dim", "N=4");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("model mlp(%x: f32[4, 784]) -> (%probs: f32[4, 10])"), r.out());
    r = KilnCli.kiln("print", MLP, "-O1");
    assertEquals(0, r.code(), r.err());
    assertEquals("note: symbolic dimension N is not given; compiling for N = 1 (use --dim N=SIZE)\n", r.err());
    assertTrue(r.out().startsWith("program mlp(in %x: f32[1, 784])") && r.out().contains("// memory plan"), r.out());
  }

  @Test
  void mistakesAreClearErrors() {
    KilnCli.Result r = KilnCli.kiln("run", MLP, "--random-input", "--print-ir-after=dec");
    assertEquals(1, r.code());
    assertEquals("kiln: error: --print-ir-after: no pass is named 'dec' (did you mean 'dce'?)\n", r.err());
    r = KilnCli.kiln("run", MLP, "--random-input", "--passes=dce,schedule");
    assertEquals(1, r.code());
    assertEquals("kiln: error: --passes: pipeline column 5: pass 'schedule' works on loop IR, but the IR is graph "
        + "IR here\n  dce,schedule\n      ^\n", r.err());
    r = KilnCli.kiln("run", MLP, "--random-input", "--engine", "interpreter", "--passes=dce");
    assertEquals(1, r.code());
    assertEquals("kiln: error: the pass options apply to the compiled engine only, not to --engine interpreter\n",
        r.err());
    r = KilnCli.kiln("print", MLP, "--passes=lower-graph-to-loops");
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("kiln: error: lower-graph-to-loops: ") && r.err().endsWith(
        "(shapes must be static: run bind-shapes first)\n"), r.err());
  }

  @Test
  void compileTakesThePipeline(@TempDir Path tmp) {
    KilnCli.Result r = KilnCli.kiln("compile", MLP, "-o", tmp.resolve("m.jar").toString(), "-O0", "--time-passes");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("%  plan-memory\n") && !r.err().contains("%  schedule\n"), r.err());
  }

  @Test
  void theOptimizationLevelMapsOntoPresets() {
    assertEquals("O0", Passes.pipeline(ModelOptions.defaults().withOptimizationLevel(0)).toString());
    assertEquals("O1", Passes.pipeline(ModelOptions.defaults().withOptimizationLevel(1)).toString());
    // The default level is -O3, in the API and (ModelOptions.defaults() is what the CLI starts from) the CLI.
    assertEquals("O3", Passes.pipeline(ModelOptions.defaults()).toString());
    assertEquals("O3", Passes.pipeline(new ModelOptions(ModelOptions.Engine.COMPILED)).toString());
    assertEquals("dce,O3", Passes.pipeline(ModelOptions.defaults().withPasses("dce,O3")).toString());
    assertThrows(IllegalArgumentException.class, () -> ModelOptions.defaults().withOptimizationLevel(4));
  }

  @Test
  void aCrashingPassLeavesAReproducer(@TempDir Path tmp) throws IOException {
    PassRegistry registry = PassRegistry.standard().toBuilder().register(PassInfo.graph("crash", "throws",
        (g, c) -> {
          throw new IllegalStateException("pass bug");
        })).build();
    Pipeline pipeline = registry.parse("crash,O1");
    ModelOptions options = ModelOptions.defaults().withPipeline(pipeline);
    options = options.withPipelineOptions(options.pipelineOptions().withReproducerDirectory(Optional.of(tmp)));
    var model = Kiln.load(Path.of(MLP), options);
    PassCrashException e = assertThrows(PassCrashException.class,
        () -> model.run(Map.of("x", Tensor.ofFloats(new long[] {1, 784}, new float[784]))));
    Path file = e.reproducer().orElseThrow();
    assertTrue(e.getMessage().startsWith("pass 'crash' (step 1 of 5 in crash,O1) threw java.lang.IllegalStateException: "
        + "pass bug\n  a reproducer (the pipeline's input IR and the pipeline) is in " + file), e.getMessage());
    assertTrue(e.getMessage().endsWith("rerun it with: kiln print " + file + " --passes=crash,O1 --input-shape x=1,784"),
        e.getMessage());
    // The reproducer is the model as Kiln text, weights found by absolute path, ready to rerun.
    String text = Files.readString(file);
    assertTrue(text.startsWith("// Kiln pass crash reproducer: pass 'crash' threw"), text);
    assertTrue(text.contains("// RUN: --passes=crash,O1 --input-shape x=1,784\n"), text);
    assertEquals(model.graph(), KilnText.read(file).graph());
    // And the CLI reruns it up to the crash: the pass is unknown there, which it says by name.
    KilnCli.Result r = KilnCli.kiln("print", file.toString(), "--passes=O1", "--input-shape", "x=1,784");
    assertEquals(0, r.code(), r.err());
  }

  @Test
  void aCrashingPluginPassIsAnInternalErrorWithAReproducer(@TempDir Path tmp) throws IOException {
    Path src = tmp.resolve("src/crash");
    Files.createDirectories(src);
    Files.writeString(src.resolve("Crash.java"), """
        package crash;

        import dev.kiln.passes.pipeline.PassInfo;
        import dev.kiln.passes.pipeline.PassPlugin;
        import dev.kiln.passes.pipeline.PassRegistry;

        public final class Crash implements PassPlugin {
          @Override
          public String name() {
            return "crash";
          }

          @Override
          public void register(PassRegistry.Builder registry) {
            registry.register(PassInfo.graph("crash", "throws", (g, c) -> {
              throw new IllegalStateException("pass bug");
            }));
          }
        }
        """);
    Path services = tmp.resolve("resources/META-INF/services");
    Files.createDirectories(services);
    Files.writeString(services.resolve("dev.kiln.passes.pipeline.PassPlugin"), "crash.Crash\n");
    Path jar = PluginJars.build(tmp.resolve("src"), tmp.resolve("resources"), tmp, "crash.jar");
    Path repro = tmp.resolve("repro");
    KilnCli.Result r = kilnAllowingStackTraces("run", MLP, "--random-input", "--plugin", jar.toString(),
        "--passes=crash,O1", "--reproducer-dir", repro.toString());
    assertEquals(3, r.code(), r.err());
    Path file;
    try (var files = Files.list(repro)) {
      file = files.findFirst().orElseThrow();
    }
    assertTrue(r.err().startsWith("kiln: internal error in a pass (please report it with the reproducer): pass 'crash' "
        + "(step 1 of 5 in crash,O1) threw java.lang.IllegalStateException: pass bug\n"
        + "  a reproducer (the pipeline's input IR and the pipeline) is in " + file + "\n"
        + "  rerun it with: kiln print " + file + " --passes=crash,O1 --input-shape x=1,784\n"), r.err());
    // The reproducer reproduces.
    KilnCli.Result again = kilnAllowingStackTraces("print", file.toString(), "--plugin", jar.toString(),
        "--passes=crash,O1", "--input-shape", "x=1,784", "--reproducer-dir", repro.toString());
    assertEquals(3, again.code(), again.err());
    assertTrue(again.err().contains("threw java.lang.IllegalStateException: pass bug"), again.err());
  }

  private static KilnCli.Result kilnAllowingStackTraces(String... args) {
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    int code = dev.kiln.cli.Main.execute(new java.io.PrintWriter(out), new java.io.PrintWriter(err), args);
    return new KilnCli.Result(code, out.toString(), err.toString());
  }
}
