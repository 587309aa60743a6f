package dev.kiln.api;

import dev.kiln.frontend.ModelLoadException;
import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.frontend.onnx.OnnxModels;
import dev.kiln.runtime.artifact.ArtifactException;
import dev.kiln.runtime.artifact.ArtifactReader;
import java.nio.file.Path;

/**
 * The entry point of Kiln's Java API: load a model, then run it.
 *
 * <pre>{@code
 * Model model = Kiln.load(Path.of("examples/mlp/mlp.kiln"));
 * Map<String, Tensor> out = model.run(Map.of("x", input));
 * }</pre>
 *
 * <p>Loading reads and verifies the model; a user's mistake in it is a {@link ModelLoadException}
 * that lists every problem as {@code file:line:col: message}.
 */
public final class Kiln {
  private Kiln() {}

  /**
   * Loads a model file: Kiln text ({@code .kiln}), ONNX ({@code .onnx}), or an ahead-of-time
   * artifact ({@code .jar}, from {@code kiln compile} or {@link ArtifactCompiler}), which loads
   * without a compiler and runs only at the shapes it was compiled for.
   *
   * <p><b>Loading an artifact runs the code in it</b> with this process's permissions: load only
   * artifacts you would run as a program.
   */
  public static Model load(Path file) {
    return load(file, ModelOptions.defaults());
  }

  public static Model load(Path file, ModelOptions options) {
    String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
    if (name.endsWith(".onnx")) {
      return new Model(OnnxModels.read(file), options);
    }
    if (name.endsWith(".jar")) {
      return loadArtifact(file, options);
    }
    if (!name.endsWith(".kiln")) {
      throw new ModelLoadException(dev.kiln.frontend.Diagnostic.of(
          file.toString(), "unsupported model format: expected a .kiln, .onnx or .jar file"));
    }
    Path dir = file.toAbsolutePath().getParent();
    return new Model(KilnText.read(file), options, java.util.Optional.ofNullable(dir));
  }

  /** Of the options, only the thread count applies: the artifact is compiled code already. */
  private static Model loadArtifact(Path file, ModelOptions options) {
    try {
      return new Model(ArtifactReader.load(file, CompiledEngine.pool(options.threads())), options);
    } catch (ArtifactException e) {
      throw new ModelLoadException(dev.kiln.frontend.Diagnostic.of(e.file(), e.problem()));
    }
  }

  /**
   * Loads a model from Kiln text. A {@code weights "..."} directive in it is resolved against
   * {@code baseDir}.
   */
  public static Model fromString(String kilnText, Path baseDir) {
    return fromString(kilnText, baseDir, ModelOptions.defaults());
  }

  public static Model fromString(String kilnText, Path baseDir, ModelOptions options) {
    KilnModel parsed = KilnText.parse(kilnText, "<string>", baseDir);
    return new Model(parsed, options);
  }

  /** Loads a model from Kiln text that has no external weights. */
  public static Model fromString(String kilnText) {
    return fromString(kilnText, Path.of("."));
  }

  /**
   * A model from a graph built in Java (e.g. with {@code GraphBuilder}).
   *
   * @throws dev.kiln.ir.verify.VerificationException listing every problem when the graph does
   *     not verify
   */
  public static Model fromGraph(dev.kiln.ir.graph.Graph graph, ModelOptions options) {
    dev.kiln.ir.verify.Verifier.standard().verifyOrThrow(graph);
    return new Model(new KilnModel(graph, java.util.Optional.empty()), options);
  }
}
