package dev.kiln.runtime.artifact;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.compiled.ExecutableProgram;
import dev.kiln.runtime.compiled.ParallelExecutor;
import dev.kiln.runtime.interpreter.RunException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A model loaded from an artifact ({@link ArtifactReader#load}): compiled code specialized to the
 * shapes in its manifest, run on named inputs. Inputs of any other dtype or shape are refused
 * with a {@link RunException} naming the input, the shape it was compiled for and the one given.
 *
 * <p>Thread-safe: concurrent runs each take their own scratch arenas. Dropping every reference to
 * the model lets the JVM unload its classes (they live in a class loader of their own).
 */
public final class ArtifactModel {
  private final Path source;
  private final ArtifactManifest manifest;
  private final ExecutableProgram program;
  private final ClassLoader loader;
  private final ParallelExecutor executor;
  private final long loadNanos;
  /** The manifest's inputs' shapes, in order (what a run's inputs are compared with). */
  private final long[][] inputShapes;

  ArtifactModel(Path source, ArtifactManifest manifest, ExecutableProgram program,
      ClassLoader loader, ParallelExecutor executor, long loadNanos) {
    this.source = source;
    this.manifest = manifest;
    this.program = program;
    this.loader = loader;
    this.executor = executor;
    this.loadNanos = loadNanos;
    this.inputShapes = manifest.inputs().stream().map(ArtifactManifest.TensorSpec::shapeArray)
        .toArray(long[][]::new);
  }

  /** The jar it was loaded from. */
  public Path source() {
    return source;
  }

  public ArtifactManifest manifest() {
    return manifest;
  }

  public ImmutableList<ArtifactManifest.TensorSpec> inputs() {
    return manifest.inputs();
  }

  public ImmutableList<ArtifactManifest.TensorSpec> outputs() {
    return manifest.outputs();
  }

  /** The loader that defined the artifact's classes (one per loaded artifact). */
  public ClassLoader classLoader() {
    return loader;
  }

  /** Time {@link ArtifactReader#load} took: reading, checking, defining classes, constants. */
  public long loadNanos() {
    return loadNanos;
  }

  /**
   * Runs on named inputs; returns the outputs by name in the model's order.
   *
   * @throws RunException when an input is missing or unknown, or its dtype or shape is not the
   *     one the artifact was compiled for (every problem at once)
   */
  public Map<String, Tensor> run(Map<String, Tensor> given) {
    Tensor[] ordered = checkedInputs(given);
    Tensor[] results;
    try {
      results = program.run(ordered, executor);
    } catch (LinkageError e) {
      throw doesNotLink(e);
    }
    Map<String, Tensor> named = new LinkedHashMap<>();
    for (int i = 0; i < results.length; i++) {
      named.put(manifest.outputs().get(i).name(), results[i]);
    }
    return named;
  }

  /**
   * Runs on named inputs and writes each output into the caller's segment, named by output, as
   * {@link dev.kiln.runtime.compiled.CompiledModel#runInto} does.
   *
   * @throws RunException when an input or a destination is wrong (every problem at once)
   */
  public void runInto(Map<String, Tensor> given, Map<String, java.lang.foreign.MemorySegment> into) {
    Tensor[] ordered = checkedInputs(given);
    List<String> names = manifest.outputs().stream().map(ArtifactManifest.TensorSpec::name).toList();
    List<java.lang.foreign.MemorySegment> destinations =
        dev.kiln.runtime.compiled.OutputDestinations.inOrder(into, names);
    program.checkDestinations(destinations, names);
    try {
      program.runInto(ordered, executor, destinations);
    } catch (LinkageError e) {
      throw doesNotLink(e);
    }
  }

  /**
   * The inputs in the manifest's order (the program's input buffers' order), each checked against
   * what the artifact was compiled for; every problem at once.
   */
  private Tensor[] checkedInputs(Map<String, Tensor> given) {
    List<ArtifactManifest.TensorSpec> specs = manifest.inputs();
    Tensor[] ordered = new Tensor[specs.size()];
    boolean fit = given.size() == ordered.length;
    for (int i = 0; i < ordered.length && fit; i++) {
      Tensor t = given.get(specs.get(i).name());
      fit = t != null && t.dtype() == specs.get(i).dtype() && Arrays.equals(t.shape(), inputShapes[i]);
      ordered[i] = t;
    }
    if (!fit) {
      checkInputs(given); // names every problem; throws, as some input does not fit
      throw new IllegalStateException("inputs " + given.keySet() + " fit the checks but not the fast path");
    }
    return ordered;
  }

  /** An artifact compiled by another Kiln whose generated code calls what this runtime lacks. */
  private ArtifactException doesNotLink(LinkageError e) {
    return new ArtifactException(source.toString(), "its code does not link against this runtime "
        + "(compiled by Kiln " + manifest.kilnVersion() + "; this is Kiln "
        + KilnVersion.current() + "): " + e, e);
  }

  private void checkInputs(Map<String, Tensor> given) {
    List<String> problems = new ArrayList<>();
    TreeSet<String> unknown = new TreeSet<>(given.keySet());
    manifest.inputs().forEach(v -> unknown.remove(v.name()));
    for (String name : unknown) {
      problems.add("unknown input %" + name + "; the model's inputs are " + manifest.inputs()
          .stream().map(v -> "%" + v.name()).collect(Collectors.joining(", ")));
    }
    for (ArtifactManifest.TensorSpec spec : manifest.inputs()) {
      Tensor t = given.get(spec.name());
      if (t == null) {
        problems.add("missing input %" + spec.name() + " (" + spec.concreteType() + ")");
      } else if (t.dtype() != spec.dtype()) {
        problems.add("input %" + spec.name() + " has element type " + t.dtype()
            + ", but this artifact was compiled for " + spec.concreteType());
      } else if (!Arrays.equals(t.shape(), spec.shapeArray())) {
        String given1 = Arrays.stream(t.shape()).mapToObj(String::valueOf)
            .collect(Collectors.joining(", ", "[", "]"));
        problems.add("input %" + spec.name() + " has shape " + given1
            + ", but this artifact was compiled for " + spec.concreteType() + " (the model declares "
            + spec.declared() + "); compile the model again for this shape, e.g. kiln compile "
            + "--input-shape " + spec.name() + "=" + Arrays.stream(t.shape())
            .mapToObj(String::valueOf).collect(Collectors.joining(",")));
      }
    }
    if (!problems.isEmpty()) {
      throw new RunException(problems);
    }
  }
}
