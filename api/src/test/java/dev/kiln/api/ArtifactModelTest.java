package dev.kiln.api;

import static dev.kiln.api.ArtifactTesting.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.ModelLoadException;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.artifact.ArtifactSummary;
import dev.kiln.runtime.interpreter.RunException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Artifacts through the Java API in one JVM: {@code Kiln.load(jar)}, runs, errors, unloading. */
@Tag("compile")
class ArtifactModelTest {
  @TempDir static Path dir;
  static Path mlpJar;
  static ArtifactSummary mlpSummary;

  @BeforeAll
  static void compileMlp() throws Exception {
    Model model = Kiln.load(ArtifactTesting.example("mlp"));
    mlpJar = dir.resolve("mlp.jar");
    mlpSummary = ArtifactCompiler.compile(model, Map.of("x", new long[] {3, 784}), mlpJar);
  }

  @Test
  void loadedArtifactMatchesTheInterpreter() {
    Model artifact = Kiln.load(mlpJar);
    Map<String, Tensor> inputs = ArtifactProbe.inputs(mlpSummary.manifest().inputs());
    Model reference = Kiln.load(ArtifactTesting.example("mlp"),
        ModelOptions.defaults().withEngine(ModelOptions.Engine.INTERPRETER));
    assertClose("probs", reference.run(inputs).get("probs"), artifact.run(inputs).get("probs"));
    assertEquals("[%x: f32[3, 784]]", artifact.inputs().toString());
    assertEquals("[%probs: f32[3, 10]]", artifact.outputs().toString());
  }

  @Test
  void eachLoadDefinesTheClassesInItsOwnLoader() throws Exception {
    ClassLoader a = Kiln.load(mlpJar).artifact().orElseThrow().classLoader();
    ClassLoader b = Kiln.load(mlpJar).artifact().orElseThrow().classLoader();
    assertNotSame(a, b);
    String program = mlpSummary.manifest().programClass();
    assertSame(a, a.loadClass(program).getClassLoader());
    assertSame(b, b.loadClass(program).getClassLoader());
  }

  @Test
  void droppedArtifactIsUnloaded() throws Exception {
    WeakReference<ClassLoader> loader = loadRunAndForget();
    for (int i = 0; i < 30 && loader.get() != null; i++) {
      System.gc();
      Thread.sleep(20);
    }
    assertNull(loader.get(), "the artifact's class loader is still reachable after it was dropped");
  }

  private static WeakReference<ClassLoader> loadRunAndForget() {
    Model model = Kiln.load(mlpJar);
    model.run(ArtifactProbe.inputs(mlpSummary.manifest().inputs()));
    return new WeakReference<>(model.artifact().orElseThrow().classLoader());
  }

  @Test
  void otherShapesAreARunException() {
    Model artifact = Kiln.load(mlpJar);
    RunException e = assertThrows(RunException.class,
        () -> artifact.run(Map.of("x", Tensor.zeros(DType.F32, 1, 784))));
    assertEquals("input %x has shape [1, 784], but this artifact was compiled for f32[3, 784] "
        + "(the model declares f32[N, 784]); compile the model again for this shape, e.g. "
        + "kiln compile --input-shape x=1,784", e.getMessage());
  }

  @Test
  void loadErrorsAreModelLoadExceptions() throws Exception {
    Path broken = Files.write(dir.resolve("broken.jar"), new byte[] {'P', 'K', 3, 4, 0});
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> Kiln.load(broken));
    assertEquals(broken + ": error: not a Kiln artifact: not a readable jar (zip END header not "
        + "found); the file may be truncated or corrupt", e.diagnostics().get(0).render());
  }

  @Test
  void anArtifactHasNoGraphAndDoesNotCompileAgain() {
    Model artifact = Kiln.load(mlpJar);
    IllegalStateException e = assertThrows(IllegalStateException.class, artifact::graph);
    assertEquals("the model loaded from " + mlpJar + " is compiled code only: it has no graph or "
        + "source", e.getMessage());
    IllegalArgumentException again = assertThrows(IllegalArgumentException.class,
        () -> ArtifactCompiler.compile(artifact, Map.of(), dir.resolve("again.jar")));
    assertEquals(mlpJar + " is already a compiled artifact; compile the model it was made from",
        again.getMessage());
  }

  @Test
  void loadTimeIsReported() {
    // Warm: the JVM has loaded the runtime's classes already.
    Kiln.load(mlpJar);
    long start = System.nanoTime();
    Model m = Kiln.load(mlpJar);
    long nanos = System.nanoTime() - start;
    assertTrue(m.artifact().orElseThrow().loadNanos() <= nanos);
    System.out.printf("mlp artifact (%d bytes) warm load: %.1f ms%n", mlpSummary.fileBytes(), nanos / 1e6);
    assertEquals(List.of("x"), m.inputs().stream().map(v -> v.name()).toList());
  }
}
