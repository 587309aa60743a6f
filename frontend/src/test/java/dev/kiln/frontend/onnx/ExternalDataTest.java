package dev.kiln.frontend.onnx;

import static dev.kiln.frontend.onnx.OnnxProtos.model;
import static dev.kiln.frontend.onnx.OnnxProtos.names;
import static dev.kiln.frontend.onnx.OnnxProtos.node;
import static dev.kiln.frontend.onnx.OnnxProtos.value;
import static dev.kiln.frontend.onnx.OnnxProtos.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.ModelLoadException;
import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.onnx.proto.Onnx;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.tensor.Tensor;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExternalDataTest {
  @TempDir Path dir;

  private static Onnx.TensorProto external(String name, long[] dims, String location,
      long offset, long length) {
    Onnx.TensorProto.Builder b = Onnx.TensorProto.newBuilder().setName(name).setDataType(1)
        .setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL);
    for (long d : dims) {
      b.addDims(d);
    }
    b.addExternalData(entry("location", location));
    if (offset >= 0) {
      b.addExternalData(entry("offset", Long.toString(offset)));
    }
    if (length >= 0) {
      b.addExternalData(entry("length", Long.toString(length)));
    }
    return b.build();
  }

  private static Onnx.StringStringEntryProto entry(String k, String v) {
    return Onnx.StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }

  private static Onnx.ModelProto addModel(Onnx.TensorProto w) {
    long n = w.getDims(0);
    return model(13, Onnx.GraphProto.newBuilder()
        .addInput(value("x", 1, n))
        .addInitializer(w)
        .addNode(node("Add", "add", names("x", w.getName()), names("y")))
        .addOutput(value("y", 1, n))
        .build());
  }

  private KilnModel load(Onnx.ModelProto m) {
    return OnnxModels.read(write(dir.resolve("model.onnx"), m));
  }

  @Test
  void readsAtOffsetAndLength() throws Exception {
    ByteBuffer data = ByteBuffer.allocate(16 + 12).order(ByteOrder.LITTLE_ENDIAN);
    data.position(16);
    data.putFloat(1).putFloat(2).putFloat(3);
    Files.createDirectories(dir.resolve("weights"));
    Files.write(dir.resolve("weights/w.bin"), data.array());
    KilnModel m = load(addModel(external("w", new long[] {3}, "weights/w.bin", 16, 12)));
    Constant w = m.graph().constants().get(0);
    assertArrayEquals(new float[] {1, 2, 3}, w.data().toFloatArray());
  }

  @Test
  void pathsOutsideTheModelDirectoryAreRejected() throws Exception {
    Files.write(dir.getParent().resolve("secret.bin"), new byte[12]);
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> load(addModel(external("w", new long[] {3}, "../secret.bin", -1, -1))));
    assertTrue(e.getMessage().contains("initializer 'w': external data location '../secret.bin' "
        + "leaves the model's directory"), e.getMessage());
    e = assertThrows(ModelLoadException.class, () -> load(addModel(
        external("w", new long[] {3}, dir.getParent().resolve("secret.bin").toString(), -1, -1))));
    assertTrue(e.getMessage().contains("is absolute; it must be relative to the model's "
        + "directory"), e.getMessage());
    Files.createSymbolicLink(dir.resolve("link.bin"), dir.getParent().resolve("secret.bin"));
    e = assertThrows(ModelLoadException.class,
        () -> load(addModel(external("w", new long[] {3}, "link.bin", -1, -1))));
    assertTrue(e.getMessage().contains("resolves (through a symbolic link)"), e.getMessage());
  }

  @Test
  void missingOrShortFilesAndWrongLengthsAreReported() throws Exception {
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> load(addModel(external("w", new long[] {3}, "absent.bin", -1, -1))));
    assertTrue(e.getMessage().contains("external data file 'absent.bin' does not exist"),
        e.getMessage());
    Files.write(dir.resolve("short.bin"), new byte[8]);
    e = assertThrows(ModelLoadException.class,
        () -> load(addModel(external("w", new long[] {3}, "short.bin", -1, -1))));
    assertTrue(e.getMessage().contains("external data file 'short.bin' has 8 bytes; the tensor "
        + "needs bytes 0 to 12"), e.getMessage());
    e = assertThrows(ModelLoadException.class,
        () -> load(addModel(external("w", new long[] {3}, "short.bin", 0, 8))));
    assertTrue(e.getMessage().contains("external data 'length' is 8 bytes but the tensor's type "
        + "needs 12"), e.getMessage());
  }

  /**
   * A weight over 2 GiB, in a sparse file (it costs no disk space): it is mapped, not copied,
   * and its last element is where it should be.
   */
  @Test
  void weightsOverTwoGibibytes() throws Exception {
    long elements = (1L << 29) + 2; // 2 GiB + 8 bytes of f32
    Path file = dir.resolve("big.bin");
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(elements * 4);
      f.seek(elements * 4 - 4);
      f.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(42f).array());
    }
    Onnx.ModelProto m = model(13, Onnx.GraphProto.newBuilder()
        .addInitializer(external("big", new long[] {elements}, "big.bin", 0, elements * 4))
        .addNode(node("Shape", "", names("big"), names("s")))
        .addOutput(value("s", 7, 1))
        .build());
    KilnModel km = load(m);
    Tensor big = km.graph().constants().get(0).data();
    assertEquals(elements * 4, big.byteSize());
    assertEquals(42.0, big.getDouble(elements - 1));
    assertEquals(0.0, big.getDouble(elements / 2));
    Map<String, Tensor> out = new dev.kiln.runtime.interpreter.ReferenceInterpreter(km.graph(),
        dev.kiln.ir.op.OpRegistry.standard()).run(Map.of());
    assertArrayEquals(new long[] {elements}, out.get("s").toLongArray());
  }
}
