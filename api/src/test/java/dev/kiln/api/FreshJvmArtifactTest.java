package dev.kiln.api;

import static dev.kiln.api.ArtifactTesting.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.artifact.ArtifactSummary;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Artifacts compiled in this JVM run in fresh ones that have no compiler: (a) a class path of only
 * the runtime, ir and Guava; (b) that class path on a {@code jlink}ed runtime image without
 * {@code jdk.compiler}. Outputs must match the reference interpreter.
 */
@Tag("compile")
class FreshJvmArtifactTest {
  /** Modules of the runtime image: what runtime, ir and Guava need, and nothing of javac. */
  static final String IMAGE_MODULES = "java.base,jdk.incubator.vector,java.logging";

  @TempDir static Path dir;
  static Path mlp;
  static Path cnn;
  static ArtifactSummary mlpSummary;
  static ArtifactSummary cnnSummary;
  static String classPath;

  @BeforeAll
  static void compileExamplesAndPrepareTheClassPath() throws IOException {
    Model mlpModel = Kiln.load(ArtifactTesting.example("mlp"));
    mlp = dir.resolve("mlp.jar");
    mlpSummary = ArtifactCompiler.compile(mlpModel,
        InputShapes.resolve(mlpModel.graph(), Map.of("N", 2L), Map.of()).shapes(), mlp);
    Model cnnModel = Kiln.load(ArtifactTesting.example("cnn"));
    cnn = dir.resolve("cnn.jar");
    cnnSummary = ArtifactCompiler.compile(cnnModel,
        InputShapes.resolve(cnnModel.graph(), Map.of(), Map.of()).shapes(), cnn);
    System.out.println("artifact sizes: mlp " + mlpSummary.fileBytes() + " bytes (classes "
        + mlpSummary.classBytes() + ", weights " + mlpSummary.weightBytes() + "), cnn "
        + cnnSummary.fileBytes() + " bytes (classes " + cnnSummary.classBytes() + ", weights "
        + cnnSummary.weightBytes() + ")");
    classPath = runtimeOnlyClassPath();
  }

  /** runtime, ir, Guava (and its failureaccess) from this JVM's class path, plus the probe alone. */
  static String runtimeOnlyClassPath() throws IOException {
    List<String> kept = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path p = Path.of(entry);
      String file = p.getFileName().toString();
      boolean module = p.endsWith(Path.of("runtime", "target", "classes"))
          || p.endsWith(Path.of("ir", "target", "classes"))
          || file.startsWith("kiln-runtime-") || file.startsWith("kiln-ir-");
      if (module || file.startsWith("guava-") || file.startsWith("failureaccess-")) {
        kept.add(entry);
      }
    }
    assertEquals(4, kept.size(), "runtime, ir, guava, failureaccess on " + kept);
    Path probeDir = dir.resolve("probe");
    Path probe = probeDir.resolve(ArtifactProbe.class.getName().replace('.', '/') + ".class");
    Files.createDirectories(probe.getParent());
    try (InputStream in = ArtifactProbe.class.getResourceAsStream("ArtifactProbe.class")) {
      Files.copy(in, probe, StandardCopyOption.REPLACE_EXISTING);
    }
    kept.add(probeDir.toString());
    return String.join(File.pathSeparator, kept);
  }

  /** Runs the probe on {@code artifact} with {@code java}; returns its output lines. */
  static String probe(Path java, Path artifact, Path outDir) throws Exception {
    Files.createDirectories(outDir);
    Path log = outDir.resolve("probe.log");
    Process p = new ProcessBuilder(java.toString(), "--add-modules", "jdk.incubator.vector",
        "-cp", classPath, ArtifactProbe.class.getName(), artifact.toString(), outDir.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe did not finish in 60 s");
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), () -> "the probe failed:\n" + output);
    return output;
  }

  /** The probe's outputs against the reference interpreter on the same inputs. */
  static void assertMatchesReference(String example, ArtifactSummary summary, Path outDir)
      throws IOException {
    Map<String, Tensor> inputs = ArtifactProbe.inputs(summary.manifest().inputs());
    Model reference = Kiln.load(ArtifactTesting.example(example),
        ModelOptions.defaults().withEngine(ModelOptions.Engine.INTERPRETER));
    List<Tensor> expected = List.copyOf(reference.run(inputs).values());
    for (int i = 0; i < expected.size(); i++) {
      byte[] bytes = Files.readAllBytes(outDir.resolve(i + ".bin"));
      Tensor actual = Tensor.wrap(expected.get(i).dtype(),
          summary.manifest().outputs().get(i).shapeArray(), MemorySegment.ofArray(bytes));
      assertClose(example + " output " + i, expected.get(i), actual);
    }
  }

  static Path currentJava() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }

  @Test
  void examplesRunInAJvmWithOnlyRuntimeIrAndGuava() throws Exception {
    for (String example : List.of("mlp", "cnn")) {
      Path artifact = example.equals("mlp") ? mlp : cnn;
      Path out = dir.resolve("out-" + example);
      String log = probe(currentJava(), artifact, out);
      assertTrue(log.contains("codegen=false\n"), log);
      assertTrue(log.contains("api=false\n"), log);
      assertTrue(log.contains("program.loader=kiln-artifact-" + example + "\n"), log);
      assertMatchesReference(example, example.equals("mlp") ? mlpSummary : cnnSummary, out);
      System.out.println(example + " in a fresh JVM: " + log.lines()
          .filter(l -> l.startsWith("load.ms")).collect(Collectors.joining()));
    }
  }

  /** (b): a runtime image without jdk.compiler, cached in target/ across runs. */
  @Test
  @Tag("jlink")
  void examplesRunOnARuntimeImageWithoutJdkCompiler() throws Exception {
    Path image = runtimeImage();
    for (String example : List.of("mlp", "cnn")) {
      Path artifact = example.equals("mlp") ? mlp : cnn;
      Path out = dir.resolve("image-out-" + example);
      String log = probe(image.resolve("bin").resolve("java"), artifact, out);
      assertTrue(log.contains("jdk.compiler.resolved=false\n"), log);
      assertTrue(log.contains("jdk.compiler.in.image=false\n"), log);
      assertTrue(log.contains("javax.tools=false\n"), log);
      assertTrue(log.contains("codegen=false\n"), log);
      assertMatchesReference(example, example.equals("mlp") ? mlpSummary : cnnSummary, out);
      System.out.println(example + " on the jlinked image: " + log.lines()
          .filter(l -> l.startsWith("load.ms")).collect(Collectors.joining()));
    }
  }

  /** The image in target/, made once (into a temporary directory, then moved into place). */
  static synchronized Path runtimeImage() throws Exception {
    Path target = Path.of("target").toAbsolutePath();
    Path image = target.resolve("aot-runtime-image");
    Path stamp = image.resolve("kiln-modules");
    String key = IMAGE_MODULES + " " + Runtime.version();
    if (Files.isRegularFile(stamp) && Files.readString(stamp).equals(key)) {
      return image;
    }
    Files.createDirectories(target);
    Path temp = target.resolve("aot-runtime-image-" + ProcessHandle.current().pid());
    deleteTree(temp);
    Path jlink = Path.of(System.getProperty("java.home"), "bin", "jlink");
    Path log = target.resolve("aot-runtime-image.log");
    long start = System.nanoTime();
    Process p = new ProcessBuilder(jlink.toString(), "--add-modules", IMAGE_MODULES,
        "--strip-debug", "--no-header-files", "--no-man-pages", "--output", temp.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "jlink did not finish in 120 s");
    assertEquals(0, p.exitValue(), () -> "jlink failed: " + read(log));
    Files.writeString(temp.resolve("kiln-modules"), key);
    deleteTree(image);
    Files.move(temp, image, StandardCopyOption.ATOMIC_MOVE);
    System.out.printf("jlink made %s in %.1f s%n", image, (System.nanoTime() - start) / 1e9);
    String release = read(image.resolve("release"));
    assertTrue(!release.contains("jdk.compiler"), release);
    return image;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Test
  void vectorApiCodeNeedsTheModule() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(mlpSummary.manifest().usesVectorApi(),
        "the mlp artifact's code does not use the Vector API on this machine");
    Path log = dir.resolve("novector.log");
    Process p = new ProcessBuilder(currentJava().toString(), "-cp", classPath,
        ArtifactProbe.class.getName(), mlp.toString(), dir.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe did not finish in 60 s");
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(3, p.exitValue(), output);
    assertEquals("refused: " + mlp + ": its code uses the Vector API; start the JVM with "
        + "--add-modules jdk.incubator.vector\n", output);
  }

  @Test
  void probeHasNoNestedClasses() {
    // The probe is copied alone; a nested class would be missing in the fresh JVM.
    assertEquals(0, ArtifactProbe.class.getDeclaredClasses().length,
        Arrays.toString(ArtifactProbe.class.getDeclaredClasses()));
  }
}
