package dev.kiln.tests;

import static dev.kiln.tests.KilnCli.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.npy.Npy;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.tests.KilnCli.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kiln CLI in-process: outputs, exit codes, and that user mistakes never show a stack trace. */
class CliTest {
  @Test
  void checkPrintsTheSignature() {
    Result r = kiln("check", "examples/mlp/mlp.kiln");
    assertEquals(0, r.code(), r.err());
    assertEquals("examples/mlp/mlp.kiln: ok, model 'mlp' (%x: f32[N, 784]) -> (%probs: f32[N, 10]), "
        + "6 nodes, 6 constants\n", r.out());
  }

  @Test
  void printIsCanonicalText() {
    Result r = kiln("print", "examples/cnn/cnn.kiln");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("model cnn(%image: f32[N, 3, 32, 32]) -> (%logits: f32[N, 10])"), r.out());
  }

  @Test
  void runWithRandomInputsPrintsASummaryAndWritesNpy(@TempDir Path tmp) throws IOException {
    Result r = kiln("run", "examples/mlp/mlp.kiln", "--random-input", "--seed", "3", "--dim", "N=2",
        "--output", tmp.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("probs: f32[2, 10] min "), r.out());
    Tensor written = Npy.read(tmp.resolve("probs.npy"));
    assertEquals(2, written.dim(0));
    double sum = 0;
    for (int j = 0; j < 10; j++) {
      sum += written.getDouble(j);
    }
    assertEquals(1.0, sum, 1e-5);
    // Same seed, same numbers.
    assertEquals(r.out(), kiln("run", "examples/mlp/mlp.kiln", "--random-input", "--seed", "3",
        "--dim", "N=2", "--output", tmp.toString()).out());
  }

  @Test
  void runWithAWarmUpPrintsWhatItReachedAndTheSameOutputs() {
    String[] plain = {"run", "examples/mlp/mlp.kiln", "--random-input", "--seed", "3"};
    Result before = kiln(plain);
    Result r = kiln("run", "examples/mlp/mlp.kiln", "--random-input", "--seed", "3", "--warm-up", "0.2");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().startsWith("warm-up: ") && r.err().contains(" runs in "), r.err());
    assertEquals(before.out(), r.out());
    Result bad = kiln("run", "examples/mlp/mlp.kiln", "--random-input", "--warm-up", "-1");
    assertEquals(1, bad.code());
    assertTrue(bad.err().contains("--warm-up takes seconds from 0 to 86400, got -1.0"), bad.err());
  }

  @Test
  void runReadsInputsFromNpy(@TempDir Path tmp) throws IOException {
    float[] ones = new float[784];
    java.util.Arrays.fill(ones, 1f);
    Path x = tmp.resolve("x.npy");
    Npy.write(x, Tensor.ofFloats(new long[] {1, 784}, ones));
    Result r = kiln("run", "examples/mlp/mlp.kiln", "--input", "x=" + x);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("probs: f32[1, 10]"), r.out());
  }

  @Test
  void userMistakesAreOneClearMessage(@TempDir Path tmp) throws IOException {
    Path x = tmp.resolve("x.npy");
    Npy.write(x, Tensor.ofFloats(new long[] {1, 3}, 1, 2, 3));
    Path bad = tmp.resolve("bad.kiln");
    Files.writeString(bad, "model bad(%x: f32[2]) -> (%y: f32[2]) {\n  %y = Relux(%x)\n}\n");
    List<Object[]> cases = List.of(
        new Object[] {new String[] {"run", "missing.kiln"}, 1, "missing.kiln: error: no such file"},
        new Object[] {new String[] {"run", "examples/mlp/mlp.kiln"}, 1,
            "kiln: error: input 'x' (f32[N, 784]) is not given: pass --input x=FILE.npy or --random-input"},
        new Object[] {new String[] {"run", "examples/mlp/mlp.kiln", "--input", "y=" + x}, 1,
            "kiln: error: --input y: the model has no input named 'y'; its inputs are [x]"},
        new Object[] {new String[] {"run", "examples/mlp/mlp.kiln", "--input", "x"}, 1,
            "kiln: error: --input takes NAME=FILE.npy, got 'x'"},
        new Object[] {new String[] {"run", "examples/mlp/mlp.kiln", "--input", "x=" + tmp.resolve("nope.npy")}, 1,
            "kiln: error: " + tmp.resolve("nope.npy") + ": no such file"},
        new Object[] {new String[] {"check", bad.toString()}, 1, bad + ":2:8: error: unknown operator 'Relux'"},
        new Object[] {new String[] {"frobnicate"}, 2, "Unmatched argument at index 0: 'frobnicate'"},
        new Object[] {new String[] {"run", "--seed", "x", "examples/mlp/mlp.kiln"}, 2, "Invalid value for option '--seed'"});
    for (Object[] c : cases) {
      Result r = kiln((String[]) c[0]);
      assertEquals(c[1], r.code(), String.join(" ", (String[]) c[0]) + "\n" + r.err());
      assertTrue(r.err().contains((String) c[2]), "expected <" + c[2] + "> in:\n" + r.err());
    }
    // A wrong shape is caught by the runtime and names the input.
    Result r = kiln("run", "examples/mlp/mlp.kiln", "--input", "x=" + x);
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("kiln: error: ") && r.err().contains("x"), r.err());
  }

  @Test
  void hostileOutputNamesStayInsideTheOutputDirectory(@TempDir Path tmp) throws IOException {
    Path model = tmp.resolve("hostile.kiln");
    Files.writeString(model, "model hostile(%x: f32[2]) -> (%\"../../escape\", %\"a/b\") {\n"
        + "  %\"../../escape\" = Relu(%x)\n  %\"a/b\" = Neg(%x)\n}\n");
    Path out = tmp.resolve("out");
    Result r = kiln("run", model.toString(), "--random-input", "--output", out.toString());
    assertEquals(0, r.code(), r.err());
    try (var files = Files.list(out)) {
      assertEquals(List.of(".._.._escape.npy", "a_b.npy"),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertFalse(Files.exists(tmp.resolve("escape.npy")));
  }
}
