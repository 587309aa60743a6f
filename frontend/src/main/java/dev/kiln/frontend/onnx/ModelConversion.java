package dev.kiln.frontend.onnx;

import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.frontend.safetensors.SafeTensorsFile;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Converts models between ONNX and Kiln's own files. To Kiln: the canonical text, plus a
 * safetensors file next to it holding every constant larger than {@link #INLINE_LIMIT} elements
 * under its value name (smaller ones stay inline in the text). To ONNX: a {@code ModelProto} of
 * opset 17 with every constant as an initializer.
 */
public final class ModelConversion {
  /** Constants with at most this many elements are written inline in Kiln text. */
  public static final long INLINE_LIMIT = 64;

  private ModelConversion() {}

  /**
   * Writes {@code model} as Kiln text to {@code kilnFile} and its large constants to
   * {@code <stem>.safetensors} in the same directory; returns the files written.
   */
  public static List<Path> writeKiln(KilnModel model, Path kilnFile) throws IOException {
    String fileName = kilnFile.getFileName().toString();
    String stem = fileName.endsWith(".kiln")
        ? fileName.substring(0, fileName.length() - ".kiln".length()) : fileName;
    String weightsName = stem + ".safetensors";
    Graph graph = model.graph();
    Map<String, Tensor> weights = new LinkedHashMap<>();
    List<Constant> constants = new java.util.ArrayList<>();
    for (Constant c : graph.constants()) {
      if (c.data().size() > INLINE_LIMIT) {
        String key = c.weightKey().orElse(c.value().name());
        weights.put(key, c.data());
        constants.add(new Constant(c.value(), c.data(), Optional.of(key)));
      } else {
        constants.add(Constant.inline(c.value(), c.data()));
      }
    }
    Graph converted = new Graph(graph.name(), graph.inputs(), graph.outputs(),
        com.google.common.collect.ImmutableList.copyOf(constants), graph.nodes());
    Optional<String> weightsFile = weights.isEmpty() ? Optional.empty() : Optional.of(weightsName);
    Path dir = kilnFile.toAbsolutePath().getParent();
    if (!weights.isEmpty()) {
      SafeTensorsFile.write(dir.resolve(weightsName), weights);
    }
    Files.writeString(kilnFile, KilnText.print(new KilnModel(converted, weightsFile)));
    return weights.isEmpty() ? List.of(kilnFile) : List.of(kilnFile, dir.resolve(weightsName));
  }

  /** Writes {@code model} as an ONNX model (opset 17, constants as initializers). */
  public static void writeOnnx(KilnModel model, Path onnxFile) throws IOException {
    OnnxModels.write(model, onnxFile);
  }
}
