package dev.kiln.frontend.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.kiln.frontend.Diagnostic;
import dev.kiln.frontend.ModelLoadException;
import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.onnx.proto.Onnx;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.tensor.Tensor;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Entry points of the ONNX frontend: read an {@code .onnx} file into a verified Kiln graph, read a
 * serialized {@code TensorProto}, and write a graph as an ONNX model. What is supported, and the
 * error format, are described in {@code docs/onnx.md}.
 */
public final class OnnxModels {
  /** Nesting of subgraphs and functions is shallow in practice; protobuf's default of 100 is not. */
  private static final int RECURSION_LIMIT = 1000;

  private OnnxModels() {}

  /**
   * Reads and verifies an ONNX model with the standard operators. External data files are
   * memory-mapped, resolved against the model's directory.
   *
   * @throws ModelLoadException listing every problem: each unsupported node with its name,
   *     operator, opset and the attribute or element type at fault
   */
  public static KilnModel read(Path file) {
    return read(file, OpRegistry.standard());
  }

  /** Like {@link #read(Path)}, with the operators of {@code registry}. */
  public static KilnModel read(Path file, OpRegistry registry) {
    Onnx.ModelProto model = parse(file, Onnx.ModelProto.parser()::parseFrom, "an ONNX model");
    Path dir = file.toAbsolutePath().getParent();
    return importModel(model, file.toString(), dir == null ? Path.of("") : dir, registry);
  }

  /** Imports a parsed model; {@code baseDir} resolves external data. */
  static KilnModel importModel(Onnx.ModelProto model, String sourceName, Path baseDir,
      OpRegistry registry) {
    GraphImporter importer =
        new GraphImporter(sourceName, registry, Optional.of(new ExternalData(baseDir)));
    Optional<Graph> graph = importer.importModel(model);
    if (graph.isEmpty()) {
      throw new ModelLoadException(importer.problems());
    }
    return new KilnModel(graph.get(), Optional.empty());
  }

  /** Reads a file holding one serialized {@code TensorProto} (as ONNX test data sets do). */
  public static Tensor readTensor(Path file) {
    Onnx.TensorProto proto = parse(file, Onnx.TensorProto.parser()::parseFrom, "a TensorProto");
    try {
      return OnnxTensors.read(proto, Optional.empty());
    } catch (InvalidOnnxException e) {
      throw new ModelLoadException(Diagnostic.of(file.toString(),
          "tensor '" + proto.getName() + "': " + e.getMessage()));
    }
  }

  /** Writes {@code model} as an ONNX model (default-domain opset 17), weights inline. */
  public static void write(KilnModel model, Path file) throws IOException {
    Onnx.ModelProto proto;
    try {
      proto = OnnxExporter.export(model.graph());
    } catch (InvalidOnnxException e) {
      throw new ModelLoadException(Diagnostic.of(file.toString(), "cannot export: " + e.getMessage()));
    }
    Files.write(file, proto.toByteArray());
  }

  @FunctionalInterface
  private interface Parser<T> {
    T parse(CodedInputStream in) throws InvalidProtocolBufferException;
  }

  private static <T> T parse(Path file, Parser<T> parser, String what) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      if (ch.size() > Integer.MAX_VALUE) {
        throw new ModelLoadException(Diagnostic.of(file.toString(), "the file is "
            + ch.size() + " bytes; a protobuf file is at most 2 GiB (keep large weights in "
            + "external data files)"));
      }
      MappedByteBuffer buffer = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
      CodedInputStream in = CodedInputStream.newInstance(buffer);
      // Aliasing lets raw_data refer to the mapped file instead of copying every weight.
      in.enableAliasing(true);
      in.setRecursionLimit(RECURSION_LIMIT);
      return parser.parse(in);
    } catch (NoSuchFileException e) {
      throw new ModelLoadException(Diagnostic.of(file.toString(), "no such file"));
    } catch (InvalidProtocolBufferException e) {
      throw new ModelLoadException(Diagnostic.of(file.toString(),
          "not " + what + " (the protobuf data is invalid: " + e.getMessage() + ")"));
    } catch (IOException e) {
      if (Files.isDirectory(file)) {
        throw new ModelLoadException(Diagnostic.of(file.toString(), "is a directory, not a file"));
      }
      throw new ModelLoadException(Diagnostic.of(file.toString(), "cannot read: " + e.getMessage()));
    }
  }
}
