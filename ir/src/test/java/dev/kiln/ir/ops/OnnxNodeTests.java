package dev.kiln.ir.ops;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Reads the ONNX backend node tests ({@code shared/onnx-node-tests/test_x/model.onnx} and
 * {@code test_data_set_0/{input,output}_i.pb}) with a minimal protobuf decoder: just the fields of
 * ModelProto, GraphProto, NodeProto, AttributeProto and TensorProto that single-node tests use.
 * Test-only, so that operator conformance does not wait for the ONNX importer.
 */
public final class OnnxNodeTests {
  private OnnxNodeTests() {}

  /** One node test: a single node, its inputs (absent slots empty) and expected outputs. */
  record Case(
      String name,
      String op,
      long opset,
      Attributes attributes,
      List<Optional<Tensor>> inputs,
      List<Tensor> outputs,
      int nodeCount) {}

  /**
   * The directory of node tests: {@code $KILN_ONNX_NODE_TESTS}, else {@code
   * shared/onnx-node-tests} in the working directory or one enclosing it. Public for the shape
   * family's harness ({@code shape.OnnxNodeCase}), which reads the same tests.
   */
  public static Optional<Path> root() {
    String override = System.getenv("KILN_ONNX_NODE_TESTS");
    if (override != null) {
      return Optional.of(Path.of(override));
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared").resolve("onnx-node-tests");
      if (Files.isDirectory(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** The test in {@code testDir} if its (first) node's operator is {@code wanted}. */
  static Optional<Case> load(Path testDir, Predicate<String> wanted) {
    try {
      Proto model = new Proto(Files.readAllBytes(testDir.resolve("model.onnx")));
      long opset = 0;
      Proto graph = null;
      for (Field f = model.next(); f != null; f = model.next()) {
        if (f.number == 7) {
          graph = f.message();
        } else if (f.number == 8) {
          Proto opsetId = f.message();
          String domain = "";
          long version = 0;
          for (Field o = opsetId.next(); o != null; o = opsetId.next()) {
            if (o.number == 1) {
              domain = o.string();
            } else if (o.number == 2) {
              version = o.varint;
            }
          }
          if (domain.isEmpty() || domain.equals("ai.onnx")) {
            opset = version;
          }
        }
      }
      List<Proto> nodes = new ArrayList<>();
      List<String> graphInputs = new ArrayList<>();
      for (Field f = graph.next(); f != null; f = graph.next()) {
        if (f.number == 1) {
          nodes.add(f.message());
        } else if (f.number == 11) {
          graphInputs.add(valueInfoName(f.message()));
        }
      }
      Proto node = nodes.get(0);
      String op = "";
      List<String> nodeInputs = new ArrayList<>();
      List<Proto> attributes = new ArrayList<>();
      for (Field f = node.next(); f != null; f = node.next()) {
        switch (f.number) {
          case 1 -> nodeInputs.add(f.string());
          case 4 -> op = f.string();
          case 5 -> attributes.add(f.message());
          default -> {}
        }
      }
      if (!wanted.test(op)) {
        return Optional.empty();
      }
      Attributes.Builder attrs = Attributes.builder();
      attributes.forEach(a -> readAttribute(a, attrs));
      Path data = testDir.resolve("test_data_set_0");
      List<Optional<Tensor>> inputs = new ArrayList<>();
      for (String in : nodeInputs) {
        int index = graphInputs.indexOf(in);
        inputs.add(
            in.isEmpty() || index < 0
                ? Optional.empty()
                : Optional.of(readTensor(data.resolve("input_" + index + ".pb"))));
      }
      List<Tensor> outputs = new ArrayList<>();
      for (int i = 0; Files.exists(data.resolve("output_" + i + ".pb")); i++) {
        outputs.add(readTensor(data.resolve("output_" + i + ".pb")));
      }
      return Optional.of(
          new Case(
              testDir.getFileName().toString(),
              op,
              opset,
              attrs.build(),
              inputs,
              outputs,
              nodes.size()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String valueInfoName(Proto valueInfo) {
    for (Field f = valueInfo.next(); f != null; f = valueInfo.next()) {
      if (f.number == 1) {
        return f.string();
      }
    }
    return "";
  }

  private static void readAttribute(Proto a, Attributes.Builder attrs) {
    String name = "";
    int type = 0;
    float f = 0;
    long i = 0;
    String s = "";
    List<Float> floats = new ArrayList<>();
    List<Long> ints = new ArrayList<>();
    byte[] tensor = null;
    for (Field field = a.next(); field != null; field = a.next()) {
      switch (field.number) {
        case 1 -> name = field.string();
        case 2 -> f = Float.intBitsToFloat((int) field.varint);
        case 3 -> i = field.varint;
        case 4 -> s = field.string();
        case 5 -> tensor = field.bytes();
        case 7 -> field.forEachFixed32(v -> floats.add(Float.intBitsToFloat(v)));
        case 8 -> field.forEachVarint(ints::add);
        case 20 -> type = (int) field.varint;
        default -> {}
      }
    }
    switch (type) {
      case 1 -> attrs.put(name, Attribute.of(f));
      case 2 -> attrs.put(name, Attribute.of(i));
      case 3 -> attrs.put(name, Attribute.of(s));
      case 6 -> {
        float[] values = new float[floats.size()];
        for (int k = 0; k < values.length; k++) {
          values[k] = floats.get(k);
        }
        attrs.put(name, Attribute.floats(values));
      }
      case 7 -> attrs.put(name, Attribute.ints(ints));
      case 4 -> attrs.put(name, Attribute.of(readTensor(tensor)));
      default -> {} // graphs, sparse tensors, type protos: no operator tested here uses them

    }
  }

  static Tensor readTensor(Path file) throws IOException {
    return readTensor(Files.readAllBytes(file));
  }

  static Tensor readTensor(byte[] bytes) {
    Proto t = new Proto(bytes);
    List<Long> dims = new ArrayList<>();
    int dataType = 0;
    byte[] raw = null;
    List<Long> longs = new ArrayList<>();
    List<Integer> fixed32 = new ArrayList<>();
    List<Long> fixed64 = new ArrayList<>();
    for (Field f = t.next(); f != null; f = t.next()) {
      switch (f.number) {
        case 1 -> f.forEachVarint(dims::add);
        case 2 -> dataType = (int) f.varint;
        case 4 -> f.forEachFixed32(fixed32::add);
        case 5, 7, 11 -> f.forEachVarint(longs::add);
        case 9 -> raw = f.bytes();
        case 10 -> f.forEachFixed64(fixed64::add);
        default -> {}
      }
    }
    int code = dataType;
    DType dtype =
        DType.fromOnnxCode(code)
            .orElseThrow(() -> new IllegalArgumentException("ONNX data type " + code));
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    if (raw != null) {
      return Tensor.fromBytes(dtype, shape, raw);
    }
    TensorWriter w = TensorWriter.of(dtype, shape);
    for (int k = 0; k < w.size(); k++) {
      switch (dtype) {
        case F32 -> w.setDouble(k, Float.intBitsToFloat(fixed32.get(k)));
        case F64 -> w.setDouble(k, Double.longBitsToDouble(fixed64.get(k)));
        case F16, BF16 -> throw new IllegalArgumentException("16-bit floats outside raw_data");
        default -> w.setLong(k, longs.get(k));
      }
    }
    return w.build();
  }

  /** A cursor over the fields of one protobuf message. */
  private static final class Proto {
    private final ByteBuffer in;

    Proto(byte[] bytes) {
      this.in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    Field next() {
      if (!in.hasRemaining()) {
        return null;
      }
      long tag = varint(in);
      int number = (int) (tag >>> 3);
      int wire = (int) (tag & 7);
      return switch (wire) {
        case 0 -> new Field(number, wire, varint(in), null);
        case 1 -> new Field(number, wire, in.getLong(), null);
        case 5 -> new Field(number, wire, in.getInt(), null);
        case 2 -> {
          byte[] b = new byte[(int) varint(in)];
          in.get(b);
          yield new Field(number, wire, 0, b);
        }
        default -> throw new IllegalArgumentException("wire type " + wire);
      };
    }

    static long varint(ByteBuffer in) {
      long value = 0;
      for (int shift = 0; ; shift += 7) {
        byte b = in.get();
        value |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          return value;
        }
      }
    }
  }

  /** One field: a scalar ({@code varint} holds varints and fixed values) or bytes. */
  private record Field(int number, int wire, long varint, byte[] payload) {
    Proto message() {
      return new Proto(payload);
    }

    String string() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    byte[] bytes() {
      return payload;
    }

    void forEachVarint(java.util.function.LongConsumer sink) {
      if (payload == null) {
        sink.accept(varint);
        return;
      }
      ByteBuffer b = ByteBuffer.wrap(payload);
      while (b.hasRemaining()) {
        sink.accept(Proto.varint(b));
      }
    }

    void forEachFixed32(java.util.function.IntConsumer sink) {
      if (payload == null) {
        sink.accept((int) varint);
        return;
      }
      ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
      while (b.hasRemaining()) {
        sink.accept(b.getInt());
      }
    }

    void forEachFixed64(java.util.function.LongConsumer sink) {
      if (payload == null) {
        sink.accept(varint);
        return;
      }
      ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
      while (b.hasRemaining()) {
        sink.accept(b.getLong());
      }
    }
  }
}
