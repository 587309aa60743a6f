package dev.kiln.api;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.artifact.ArtifactException;
import dev.kiln.runtime.artifact.ArtifactManifest;
import dev.kiln.runtime.artifact.ArtifactModel;
import dev.kiln.runtime.artifact.ArtifactReader;
import dev.kiln.runtime.compiled.ParallelExecutor;
import java.lang.foreign.ValueLayout;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Runs an artifact in a fresh JVM whose class path holds only the runtime, ir and Guava (this
 * class is copied alone into a directory of its own): {@code ArtifactProbe MODEL.jar OUT_DIR}
 * writes output {@code i} as {@code OUT_DIR/i.bin} (little-endian elements) and prints what the
 * JVM can see as {@code key=value} lines. Uses only runtime and ir classes, and no nested classes.
 */
public final class ArtifactProbe {
  private ArtifactProbe() {}

  public static void main(String[] args) throws Exception {
    long start = System.nanoTime();
    ArtifactModel model;
    try {
      model = ArtifactReader.load(Path.of(args[0]), ParallelExecutor.withThreads(2));
    } catch (ArtifactException e) {
      System.out.println("refused: " + e.getMessage());
      System.exit(3);
      return;
    }
    long loaded = System.nanoTime();
    Map<String, Tensor> outputs = model.run(inputs(model.inputs()));
    long ran = System.nanoTime();
    Path out = Path.of(args[1]);
    int i = 0;
    for (Tensor t : outputs.values()) {
      Files.write(out.resolve(i++ + ".bin"), t.data().toArray(ValueLayout.JAVA_BYTE));
    }
    String program = model.manifest().programClass();
    System.out.println("jdk.compiler.resolved=" + ModuleLayer.boot().findModule("jdk.compiler").isPresent());
    System.out.println("jdk.compiler.in.image=" + ModuleFinder.ofSystem().find("jdk.compiler").isPresent());
    System.out.println("javax.tools=" + loadable("javax.tools.ToolProvider"));
    System.out.println("codegen=" + loadable("dev.kiln.codegen.jit.JitCompiler"));
    System.out.println("api=" + loadable("dev.kiln.api.Kiln"));
    System.out.println("program.loader=" + model.classLoader().loadClass(program).getClassLoader().getName());
    System.out.printf(java.util.Locale.ROOT, "load.ms=%.1f first.run.ms=%.1f%n",
        (loaded - start) / 1e6, (ran - loaded) / 1e6);
  }

  private static boolean loadable(String name) {
    try {
      Class.forName(name, false, ArtifactProbe.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** Seeded N(0, 1) f32 inputs of the artifact's shapes; the test computes the same. */
  public static Map<String, Tensor> inputs(List<ArtifactManifest.TensorSpec> specs) {
    Random random = new Random(42);
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    for (ArtifactManifest.TensorSpec s : specs) {
      if (s.dtype() != DType.F32) {
        throw new IllegalArgumentException("the probe makes f32 inputs only, not " + s.concreteType());
      }
      long n = 1;
      for (long d : s.shapeArray()) {
        n *= d;
      }
      float[] values = new float[Math.toIntExact(n)];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) random.nextGaussian();
      }
      inputs.put(s.name(), Tensor.ofFloats(s.shapeArray(), values));
    }
    return inputs;
  }
}
