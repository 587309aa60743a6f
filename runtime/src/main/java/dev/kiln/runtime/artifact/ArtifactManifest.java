package dev.kiln.runtime.artifact;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.primitives.Longs;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.compiled.Storage;
import java.util.stream.Collectors;

/**
 * Everything an artifact says about itself, stored as {@code kiln/artifact.properties} (see
 * {@link ManifestText}): who made it, the model's signature at the shapes it was compiled for,
 * the frame layout that rebuilds a {@code Frame}, and a size and CRC-32 for every other entry.
 *
 * @param format the artifact format version ({@link ArtifactFormat#VERSION} when written)
 * @param kilnVersion the Kiln that compiled it
 * @param runtimeAbi {@link KilnVersion#RUNTIME_ABI} of that Kiln
 * @param codegenVersion the code generator's version (informative: the code is already compiled)
 * @param javaVersion the JDK whose javac compiled the classes, e.g. {@code 25.0.1+8}
 * @param javaFeature its feature release, e.g. 25
 * @param classFileMajor the highest class-file major version among the classes (69 for JDK 25)
 * @param usesVectorApi whether the classes refer to {@code jdk.incubator.vector}
 * @param vectorFloatLanes the float lanes of the compiling JVM (informative: generated code
 *     asks for {@code SPECIES_PREFERRED} when it runs); 0 without the Vector API
 * @param modelName the model's name
 * @param programClass the binary name of the class that implements {@code CompiledProgram}
 * @param inputs the inputs in order, at the shapes the code is specialized to
 * @param outputs the outputs in order
 * @param slots the frame layout's slots in slot order
 * @param arenas the elements of each scratch arena
 * @param entries every entry besides the manifest, by name, with its size and CRC-32
 */
public record ArtifactManifest(
    int format,
    String kilnVersion,
    int runtimeAbi,
    String codegenVersion,
    String javaVersion,
    int javaFeature,
    int classFileMajor,
    boolean usesVectorApi,
    int vectorFloatLanes,
    String modelName,
    String programClass,
    ImmutableList<TensorSpec> inputs,
    ImmutableList<TensorSpec> outputs,
    ImmutableList<SlotSpec> slots,
    ImmutableMap<Storage, Integer> arenas,
    ImmutableMap<String, EntryCheck> entries) {

  public ArtifactManifest {
    inputs = ImmutableList.copyOf(inputs);
    outputs = ImmutableList.copyOf(outputs);
    slots = ImmutableList.copyOf(slots);
    arenas = ImmutableMap.copyOf(arenas);
    entries = ImmutableMap.copyOf(entries);
  }

  /**
   * An input or output of the compiled model.
   *
   * @param shape the concrete shape the code is specialized to
   * @param declared the type the model declares, symbolic dims included (e.g. {@code f32[N, 784]})
   */
  public record TensorSpec(String name, DType dtype, ImmutableList<Long> shape, String declared) {
    public TensorSpec {
      shape = ImmutableList.copyOf(shape);
    }

    public long[] shapeArray() {
      return Longs.toArray(shape);
    }

    /** {@code f32[1, 784]} */
    public String concreteType() {
      return dtype.text() + shapeText(shape);
    }
  }

  /**
   * One buffer slot of the frame layout.
   *
   * @param arenaOffset element offset in its storage's arena (scratch buffers), else 0
   */
  public record SlotSpec(String buffer, String origin, DType dtype, ImmutableList<Long> shape,
      BufferRole role, int arenaOffset) {
    public SlotSpec {
      shape = ImmutableList.copyOf(shape);
    }
  }

  /** An entry's expected size in bytes and CRC-32. */
  public record EntryCheck(long size, long crc32) {}

  public ArtifactManifest withEntries(ImmutableMap<String, EntryCheck> newEntries) {
    return new ArtifactManifest(format, kilnVersion, runtimeAbi, codegenVersion, javaVersion,
        javaFeature, classFileMajor, usesVectorApi, vectorFloatLanes, modelName, programClass,
        inputs, outputs, slots, arenas, newEntries);
  }

  /** {@code [1, 784]} */
  static String shapeText(ImmutableList<Long> shape) {
    return shape.stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
  }
}
