package dev.kiln.api;

import com.google.common.collect.ImmutableList;
import dev.kiln.codegen.jit.CodegenVersion;
import dev.kiln.codegen.jit.CompiledClasses;
import dev.kiln.codegen.jit.CompiledUnit;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.runtime.artifact.ArtifactContents;
import dev.kiln.runtime.artifact.ArtifactManifest;
import dev.kiln.runtime.artifact.ArtifactSummary;
import dev.kiln.runtime.artifact.ArtifactWriter;
import dev.kiln.passes.shape.CompileTimeInputs;
import dev.kiln.runtime.compiled.CompiledProgram;
import dev.kiln.runtime.interpreter.RunException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Ahead-of-time compilation: a model compiled for concrete input shapes, written as a
 * self-contained artifact jar (classes, weights, manifest; see
 * {@link dev.kiln.runtime.artifact.ArtifactFormat}) that {@link Kiln#load} and {@code kiln run}
 * load without a compiler. The code is what the JIT path runs for the same shapes
 * ({@link CompiledEngine#specialize}).
 *
 * <p>An artifact is specialized to shapes only: a model with an input whose <em>values</em>
 * decide shapes (a Reshape's {@code shape} fed as a graph input; see {@link CompileTimeInputs})
 * is refused, naming the input and the node that reads it. The JIT path compiles such models per
 * value; an artifact would have to refuse every other value at run time, which is rarely useful.
 */
public final class ArtifactCompiler {
  private ArtifactCompiler() {}

  /**
   * Compiles {@code model} for {@code shapes} (every input's concrete shape; see
   * {@link InputShapes}) and writes the artifact to {@code output}, replacing any file there.
   *
   * @throws IllegalArgumentException if the model was itself loaded from an artifact
   * @throws dev.kiln.runtime.interpreter.RunException if the model cannot take these shapes, or
   *     has inputs whose values decide shapes
   * @throws IOException if the file cannot be written
   */
  public static ArtifactSummary compile(Model model, Map<String, long[]> shapes, Path output)
      throws IOException {
    return compile(model, shapes, output, null);
  }

  /**
   * As {@link #compile(Model, Map, Path)}, and also writes the generated Java source of the
   * artifact's class to {@code javaSource} (when not null): what a compiler engineer reads to see
   * what a kernel became. The source is the one the class was compiled from, also when the class
   * came from the kernel cache (the emitter is deterministic and runs again).
   */
  public static ArtifactSummary compile(Model model, Map<String, long[]> shapes, Path output,
      Path javaSource) throws IOException {
    if (model.artifact().isPresent()) {
      throw new IllegalArgumentException(model.artifact().get().source()
          + " is already a compiled artifact; compile the model it was made from");
    }
    Graph graph = model.graph();
    Map<String, String> valueInputs = CompileTimeInputs.of(graph);
    if (!valueInputs.isEmpty()) {
      throw new RunException(valueInputs.entrySet().stream().map(e -> "input %" + e.getKey()
          + " decides shapes by its values (" + e.getValue() + "), and an artifact is compiled "
          + "for input shapes only; make it a constant of the model (an initializer), or run the "
          + "model itself (kiln run), whose compiled engine compiles code per value").toList());
    }
    CompiledEngine.Report report = CompiledEngine.specialize(graph,
        CompiledEngine.pipeline(model.options(), model.source(), model.baseDir()), shapes,
        Map.of());
    CompiledUnit unit = report.result().unit();
    CompiledClasses compiled = unit.loader().classes();
    Map<String, byte[]> classes = new LinkedHashMap<>();
    for (String name : compiled.names()) {
      classes.put(name, compiled.bytes(name).orElseThrow());
    }
    List<String> programs = unit.classes().entrySet().stream()
        .filter(e -> CompiledProgram.class.isAssignableFrom(e.getValue()))
        .map(Map.Entry::getKey).toList();
    if (programs.size() != 1) {
      throw new IllegalStateException("internal error: the compiled unit has " + programs.size()
          + " CompiledProgram classes: " + programs);
    }
    ArtifactContents contents = new ArtifactContents(CodegenVersion.CURRENT, graph.name(),
        programs.get(0), classes, report.result().executable().layout(),
        report.program().constants(),
        specs(graph.inputs(), report.program().inputs()),
        specs(graph.outputs(), report.program().outputs()));
    ArtifactSummary summary = ArtifactWriter.write(output, contents);
    if (javaSource != null) {
      Files.writeString(javaSource, report.result().emittedProgram().source());
    }
    return summary;
  }

  private static ImmutableList<ArtifactManifest.TensorSpec> specs(List<Value> values,
      List<Buffer> buffers) {
    ImmutableList.Builder<ArtifactManifest.TensorSpec> specs = ImmutableList.builder();
    for (int i = 0; i < values.size(); i++) {
      Value v = values.get(i);
      specs.add(new ArtifactManifest.TensorSpec(v.name(), v.type().dtype(), buffers.get(i).shape(),
          v.type().toString()));
    }
    return specs.build();
  }
}
