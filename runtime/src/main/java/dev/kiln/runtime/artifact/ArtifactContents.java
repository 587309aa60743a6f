package dev.kiln.runtime.artifact;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.compiled.FrameLayout;
import java.util.Map;

/**
 * What goes into an artifact, as the compile path has it: the generated classes, the frame
 * layout they were generated for, the constants' data and the model's signature.
 *
 * @param codegenVersion the code generator's version, recorded for people reading the manifest
 * @param programClass binary name of the class implementing {@code CompiledProgram}
 * @param classes class files by binary name (every class of the compiled unit)
 * @param layout the frame layout the classes were generated against
 * @param constants data of every constant buffer of the layout (in the form the code reads)
 * @param inputs the model's inputs in order, at the concrete shapes of the layout's input slots
 * @param outputs the model's outputs in order
 */
public record ArtifactContents(
    String codegenVersion,
    String modelName,
    String programClass,
    ImmutableMap<String, byte[]> classes,
    FrameLayout layout,
    ImmutableMap<Buffer, Tensor> constants,
    ImmutableList<ArtifactManifest.TensorSpec> inputs,
    ImmutableList<ArtifactManifest.TensorSpec> outputs) {

  public ArtifactContents {
    classes = ImmutableMap.copyOf(classes);
    constants = ImmutableMap.copyOf(constants);
    inputs = ImmutableList.copyOf(inputs);
    outputs = ImmutableList.copyOf(outputs);
  }

  public ArtifactContents(String codegenVersion, String modelName, String programClass,
      Map<String, byte[]> classes, FrameLayout layout, Map<Buffer, Tensor> constants,
      java.util.List<ArtifactManifest.TensorSpec> inputs,
      java.util.List<ArtifactManifest.TensorSpec> outputs) {
    this(codegenVersion, modelName, programClass, ImmutableMap.copyOf(classes), layout,
        ImmutableMap.copyOf(constants), ImmutableList.copyOf(inputs), ImmutableList.copyOf(outputs));
  }
}
