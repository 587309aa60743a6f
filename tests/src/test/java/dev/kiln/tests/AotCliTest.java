package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.npy.Npy;
import dev.kiln.ir.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln compile} writes artifacts that {@code kiln run} runs like the model they came from. */
@Tag("compile")
class AotCliTest {
  @TempDir Path tmp;

  @Test
  void compiledMlpRunsLikeTheModel() throws IOException {
    Path jar = tmp.resolve("mlp.jar");
    KilnCli.Result c = KilnCli.kiln("compile", "examples/mlp/mlp.kiln", "-o", jar.toString(),
        "--dim", "N=2");
    assertEquals(0, c.code(), c.err());
    List<String> lines = c.out().lines().toList();
    assertEquals(3, lines.size(), c.out());
    assertTrue(lines.get(0).matches("wrote " + java.util.regex.Pattern.quote(jar.toString())
        // The weights' size depends on the GEMM panels of this machine (packed, zero-padded).
        + " \\(\\d+\\.\\d KiB\\): 1 class \\(\\d+\\.\\d KiB\\), 6 weight tensors \\(\\d+\\.\\d KiB\\)"),
        lines.get(0));
    assertEquals("  compiled for x: f32[2, 784] -> probs: f32[2, 10]", lines.get(1));
    assertTrue(lines.get(2).startsWith("  Kiln ") && lines.get(2).contains("JDK "), lines.get(2));

    Path fromJar = tmp.resolve("jar-out");
    KilnCli.Result r = KilnCli.kiln("run", jar.toString(), "--random-input", "--seed", "3",
        "--output", fromJar.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("probs: f32[2, 10] min "), r.out());
    Path fromModel = tmp.resolve("model-out");
    KilnCli.Result m = KilnCli.kiln("run", "examples/mlp/mlp.kiln", "--random-input", "--seed", "3",
        "--dim", "N=2", "--output", fromModel.toString());
    assertEquals(0, m.code(), m.err());
    Tensor expected = Npy.read(fromModel.resolve("probs.npy"));
    Tensor actual = Npy.read(fromJar.resolve("probs.npy"));
    assertArrayEquals(expected.shape(), actual.shape());
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.getDouble(i), actual.getDouble(i), 1e-5, "probs element " + i);
    }
  }

  /**
   * {@code --emit-java} writes the generated class's source beside the artifact, the same source
   * for a second compile of the same model (whose class the kernel cache may give; that a cached
   * compile still gives its source is {@code GemmDifferentialTest}'s), and names a bad path.
   */
  @Test
  void emitJavaWritesTheGeneratedSource() throws IOException {
    Path first = tmp.resolve("first.java");
    KilnCli.Result c = KilnCli.kiln("compile", "examples/mlp/mlp.kiln", "-o",
        tmp.resolve("a.jar").toString(), "--dim", "N=2", "--emit-java", first.toString());
    assertEquals(0, c.code(), c.err());
    assertTrue(c.out().contains("  generated source written to " + first + "\n"), c.out());
    String source = Files.readString(first);
    assertTrue(source.contains("package dev.kiln.generated;"), source);
    assertTrue(source.contains("implements CompiledProgram"), source);
    assertTrue(source.contains("private static void kernel0(Frame frame)"), source);

    Path second = tmp.resolve("second.java");
    KilnCli.Result again = KilnCli.kiln("compile", "examples/mlp/mlp.kiln", "-o",
        tmp.resolve("b.jar").toString(), "--dim", "N=2", "--emit-java", second.toString());
    assertEquals(0, again.code(), again.err());
    assertEquals(source, Files.readString(second));

    KilnCli.Result dir = KilnCli.kiln("compile", "examples/mlp/mlp.kiln", "-o",
        tmp.resolve("c.jar").toString(), "--emit-java", tmp.toString());
    assertEquals(1, dir.code());
    assertEquals("kiln: error: --emit-java " + tmp + " is a directory; give a file name such as "
        + "KilnProgram.java\n", dir.err());
    KilnCli.Result missing = KilnCli.kiln("compile", "examples/mlp/mlp.kiln", "-o",
        tmp.resolve("d.jar").toString(), "--emit-java", tmp.resolve("no/x.java").toString());
    assertEquals(1, missing.code());
    assertEquals("kiln: error: cannot write --emit-java " + tmp.resolve("no/x.java")
        + ": no such directory " + tmp.resolve("no") + "\n", missing.err());
  }

  @Test
  void unspecifiedSymbolicDimsAreOneWithANote() {
    Path jar = tmp.resolve("cnn.jar");
    KilnCli.Result c = KilnCli.kiln("compile", "examples/cnn/cnn.kiln", "-o", jar.toString());
    assertEquals(0, c.code(), c.err());
    assertTrue(c.out().startsWith("note: symbolic dimension N is not given; compiling for N = 1 "
        + "(use --dim N=SIZE)\nwrote " + jar), c.out());
    assertTrue(c.out().contains("  compiled for image: f32[1, 3, 32, 32] -> logits: f32[1, 10]\n"),
        c.out());
    KilnCli.Result r = KilnCli.kiln("run", jar.toString(), "--random-input");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("logits: f32[1, 10] "), r.out());
  }

  @Test
  void mistakesAreOneClearMessage() throws IOException {
    Path jar = tmp.resolve("mlp.jar");
    assertEquals(0, KilnCli.kiln("compile", "examples/mlp/mlp.kiln", "-o", jar.toString(),
        "--input-shape", "x=2,784").code());
    Path one = tmp.resolve("one.npy");
    Npy.write(one, Tensor.zeros(dev.kiln.ir.type.DType.F32, 1, 784));
    byte[] bytes = Files.readAllBytes(jar);
    Path cut = Files.write(tmp.resolve("cut.jar"), Arrays.copyOf(bytes, bytes.length / 3));
    String mlp = "examples/mlp/mlp.kiln";
    Path reshape = Files.writeString(tmp.resolve("reshape.kiln"), """
        kiln 1
        model m(%x: f32[2, 6], %shape: i64[2]) -> (%y: f32[?, ?]) {
          "r": %y = Reshape(%x, %shape)
        }
        """);
    List<String[]> cases = List.of(
        new String[] {"kiln: error: input %shape decides shapes by its values (input 1 of Reshape "
            + "node 'r' reads it at compile time), and an artifact is compiled for input shapes "
            + "only; make it a constant of the model (an initializer), or run the model itself "
            + "(kiln run), whose compiled engine compiles code per value", "compile",
            reshape.toString(), "-o", tmp.resolve("r.jar").toString()},
        new String[] {"kiln: error: input %x has shape [1, 784], but this artifact was compiled "
            + "for f32[2, 784] (the model declares f32[N, 784]); compile the model again for this "
            + "shape, e.g. kiln compile --input-shape x=1,784",
            "run", jar.toString(), "--input", "x=" + one},
        new String[] {"kiln: error: " + jar + " is compiled for fixed shapes (x: f32[2, 784]); "
            + "--dim does not apply: compile the model again with --dim",
            "run", jar.toString(), "--random-input", "--dim", "N=3"},
        new String[] {"kiln: error: " + jar + " is compiled code already: --engine does not "
            + "apply to an artifact", "run", jar.toString(), "--random-input", "--engine", "compiled"},
        new String[] {cut + ": error: not a Kiln artifact: not a readable jar (zip END header not "
            + "found); the file may be truncated or corrupt", "run", cut.toString(), "--random-input"},
        new String[] {"kiln: error: the output of compile must be a .jar file, got out.zip",
            "compile", mlp, "-o", "out.zip"},
        new String[] {"kiln: error: --dim K: the model has no symbolic dimension named 'K'; its "
            + "inputs are x: f32[N, 784]", "compile", mlp, "-o", tmp.resolve("k.jar").toString(),
            "--dim", "K=2"},
        new String[] {"kiln: error: --input-shape x=1,3: dim 1 is 3, but input 'x' is declared "
            + "f32[N, 784]", "compile", mlp, "-o", tmp.resolve("s.jar").toString(),
            "--input-shape", "x=1,3"},
        new String[] {"kiln: error: --input-shape x: 'a' is not a list of sizes such as 1,3,224,224",
            "compile", mlp, "-o", tmp.resolve("s.jar").toString(), "--input-shape", "x=a"},
        new String[] {"kiln: error: " + jar + " is already a compiled artifact; compile the .kiln "
            + "or .onnx model it was made from", "compile", jar.toString(), "-o",
            tmp.resolve("again.jar").toString()},
        new String[] {"kiln: error: cannot write " + tmp.resolve("no/such/x.jar") + ": no such "
            + "directory " + tmp.resolve("no/such"), "compile", mlp, "-o",
            tmp.resolve("no/such/x.jar").toString()});
    for (String[] c : cases) {
      String[] args = Arrays.copyOfRange(c, 1, c.length);
      KilnCli.Result r = KilnCli.kiln(args);
      assertEquals(1, r.code(), String.join(" ", args) + "\n" + r.err());
      assertEquals(c[0] + "\n", r.err(), String.join(" ", args));
    }
    KilnCli.Result stats = KilnCli.kiln("run", jar.toString(), "--random-input", "--stats");
    assertEquals(0, stats.code(), stats.err());
    assertTrue(stats.err().startsWith("loaded " + jar + ": compiled ahead of time by Kiln "),
        stats.err());
    assertTrue(stats.err().contains(" for %x[2, 784], load "), stats.err());
    KilnCli.Result usage = KilnCli.kiln("compile", mlp);
    assertEquals(2, usage.code());
    assertTrue(usage.err().contains("Missing required option: '--output=OUT.jar'"), usage.err());
  }
}
