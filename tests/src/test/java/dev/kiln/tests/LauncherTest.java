package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/kiln from the packaged build, as a user runs it (the cli module is packaged before this one). */
class LauncherTest {
  record Run(int code, String out, String err) {}

  static Run launch(Path tmp, String... args) throws IOException, InterruptedException {
    Assumptions.assumeTrue(Files.exists(Path.of("cli/target/kiln-cli.jar")),
        "cli/target/kiln-cli.jar not packaged (run through mvn verify)");
    Path out = tmp.resolve("out.txt");
    Path err = tmp.resolve("err.txt");
    List<String> cmd = new java.util.ArrayList<>(List.of("bin/kiln"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "bin/kiln timed out");
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  @Test
  void runsTheBundledExample(@TempDir Path tmp) throws Exception {
    Run r = launch(tmp, "run", "examples/cnn/cnn.kiln", "--random-input");
    assertEquals(0, r.code, r.err);
    assertTrue(r.out.startsWith("logits: f32[1, 10] min "), r.out);
    assertEquals("", r.err);
  }

  @Test
  void reportsABadModelWithoutAStackTrace(@TempDir Path tmp) throws Exception {
    Path bad = tmp.resolve("bad.kiln");
    Files.writeString(bad, "model m(%x: f32[2]) -> (%y: f32[2]) {\n  %y = Relu(%x, %x)\n}\n");
    Run r = launch(tmp, "check", bad.toString());
    assertEquals(1, r.code);
    assertTrue(r.err.startsWith(bad + ":2:"), r.err);
    assertFalse(r.err.contains("Exception"), r.err);
  }

  @Test
  void benchRunsFromTheBenchModuleAndOnnxRuntimeStaysOffKilnsClasspath(@TempDir Path tmp)
      throws Exception {
    Assumptions.assumeTrue(Files.exists(Path.of("bench/target/kiln-bench.jar")),
        "bench/target/kiln-bench.jar not packaged (run through mvn verify)");
    Run r = launch(tmp, "bench", "matmul:4x8x2", "--warmup", "0", "--warmup-seconds", "0",
        "--max-warmup-seconds", "0", "--runs", "1");
    assertEquals(0, r.code, r.out + r.err);
    assertTrue(r.out.contains("cosine 1.0000000: agree"), r.out);
    assertTrue(r.out.contains("| onnxruntime 1.23.2 "), r.out);
    try (var jars = Files.list(Path.of("cli/target/lib"))) {
      List<String> names = jars.map(j -> j.getFileName().toString()).toList();
      assertTrue(names.stream().noneMatch(n -> n.startsWith("onnxruntime") || n.startsWith("jmh")),
          names.toString());
    }
  }
}
