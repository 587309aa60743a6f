package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.ops.OnnxNodeTests;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One ONNX backend node test case read with a minimal protobuf decoder: the single node of
 * {@code model.onnx} and the tensors of {@code test_data_set_0}. Only what the conformance test
 * needs is decoded (no sequences, optionals, sparse tensors or subgraphs); it is test code, not
 * the ONNX importer.
 *
 * @param inputs the node's input slots, absent where the node leaves one empty
 */
record OnnxNodeCase(
    String name,
    String op,
    Attributes attributes,
    List<Optional<Tensor>> inputs,
    List<Tensor> outputs) {

  /** The directory of node tests, as the linalg, nn and reduce families' harness finds it. */
  static Optional<Path> root() {
    return OnnxNodeTests.root();
  }

  /** The operator of a single-node model, or empty for larger models. */
  static Optional<String> singleOp(Path dir) {
    try {
      Proto graph = new Proto(Files.readAllBytes(dir.resolve("model.onnx"))).messages(7).get(0);
      List<Proto> nodes = graph.messages(1);
      return nodes.size() == 1 ? Optional.of(nodes.get(0).string(4)) : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads a case, or empty when its model is not a single node on plain tensors. */
  static Optional<OnnxNodeCase> read(Path dir) {
    try {
      Proto model = new Proto(Files.readAllBytes(dir.resolve("model.onnx")));
      Proto graph = model.messages(7).get(0);
      List<Proto> nodes = graph.messages(1);
      if (nodes.size() != 1) {
        return Optional.empty();
      }
      Proto node = nodes.get(0);
      Map<String, Tensor> known = new LinkedHashMap<>();
      for (Proto init : graph.messages(5)) {
        known.put(init.string(8), tensor(init));
      }
      Path data = dir.resolve("test_data_set_0");
      List<Proto> graphInputs = graph.messages(11);
      int k = 0;
      for (Proto in : graphInputs) {
        String name = in.string(1);
        if (known.containsKey(name)) {
          continue;
        }
        Path file = data.resolve("input_" + k++ + ".pb");
        known.put(name, tensor(new Proto(Files.readAllBytes(file))));
      }
      List<Optional<Tensor>> inputs = new ArrayList<>();
      for (String in : node.strings(1)) {
        inputs.add(in.isEmpty() ? Optional.empty() : Optional.of(known.get(in)));
      }
      List<String> nodeOutputs = node.strings(2);
      Tensor[] outputs = new Tensor[nodeOutputs.size()];
      List<Proto> graphOutputs = graph.messages(12);
      for (int o = 0; o < graphOutputs.size(); o++) {
        int slot = nodeOutputs.indexOf(graphOutputs.get(o).string(1));
        Path file = data.resolve("output_" + o + ".pb");
        outputs[slot] = tensor(new Proto(Files.readAllBytes(file)));
      }
      Attributes.Builder attrs = Attributes.builder();
      for (Proto a : node.messages(5)) {
        attrs.put(a.string(1), attribute(a));
      }
      return Optional.of(new OnnxNodeCase(
          dir.getFileName().toString(), node.string(4), attrs.build(), inputs, List.of(outputs)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (UnsupportedOperationException e) {
      return Optional.empty();
    }
  }

  private static Attribute attribute(Proto a) {
    return switch ((int) a.varint(20)) {
      case 1 -> Attribute.of(Float.intBitsToFloat((int) a.fixed(2)));
      case 2 -> Attribute.of(a.varint(3));
      case 3 -> Attribute.of(new String(a.bytes(4), StandardCharsets.UTF_8));
      case 4 -> Attribute.of(tensor(a.messages(5).get(0)));
      case 6 -> {
        List<Long> bits = a.fixed32s(7);
        float[] v = new float[bits.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = Float.intBitsToFloat(bits.get(i).intValue());
        }
        yield Attribute.floats(v);
      }
      case 7 -> Attribute.ints(a.varints(8));
      case 8 -> Attribute.strings(a.strings(9).toArray(String[]::new));
      default -> throw new UnsupportedOperationException("attribute type " + a.varint(20));
    };
  }

  static Tensor tensor(Proto t) {
    DType dtype = DType.fromOnnxCode((int) t.varint(2))
        .orElseThrow(() -> new UnsupportedOperationException("data type " + t.varint(2)));
    long[] shape = t.varints(1).stream().mapToLong(Long::longValue).toArray();
    if (t.has(9)) {
      return Tensor.fromBytes(dtype, shape, t.bytes(9));
    }
    TensorWriter w = TensorWriter.of(dtype, shape);
    switch (dtype) {
      case F32 -> {
        List<Long> bits = t.fixed32s(4);
        for (int i = 0; i < bits.size(); i++) {
          w.setDouble(i, Float.intBitsToFloat(bits.get(i).intValue()));
        }
      }
      case F64 -> {
        List<Long> bits = t.fixed64s(10);
        for (int i = 0; i < bits.size(); i++) {
          w.setDouble(i, Double.longBitsToDouble(bits.get(i)));
        }
      }
      case I64 -> fill(w, t.varints(7));
      case U32, U64 -> fill(w, t.varints(11));
      case F16, BF16 -> {
        // Half-precision values travel as their bit patterns in int32_data.
        List<Long> bits = t.varints(5);
        byte[] raw = new byte[bits.size() * 2];
        for (int i = 0; i < bits.size(); i++) {
          raw[2 * i] = (byte) (long) bits.get(i);
          raw[2 * i + 1] = (byte) (bits.get(i) >> 8);
        }
        return Tensor.fromBytes(dtype, shape, raw);
      }
      default -> fill(w, t.varints(5));
    }
    return w.build();
  }

  private static void fill(TensorWriter w, List<Long> values) {
    for (int i = 0; i < values.size(); i++) {
      w.setLong(i, values.get(i));
    }
  }

  /** The fields of one protobuf message, decoded lazily by field number. */
  static final class Proto {
    private final Map<Integer, List<Object>> fields = new LinkedHashMap<>();

    Proto(byte[] bytes) {
      ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      while (in.hasRemaining()) {
        long key = readVarint(in);
        int field = (int) (key >>> 3);
        Object value = switch ((int) (key & 7)) {
          case 0 -> readVarint(in);
          case 1 -> in.getLong();
          case 2 -> {
            byte[] b = new byte[(int) readVarint(in)];
            in.get(b);
            yield b;
          }
          case 5 -> (long) in.getInt() & 0xffffffffL;
          default -> throw new UnsupportedOperationException("wire type " + (key & 7));
        };
        fields.computeIfAbsent(field, f -> new ArrayList<>()).add(value);
      }
    }

    private static long readVarint(ByteBuffer in) {
      long v = 0;
      for (int shift = 0; ; shift += 7) {
        byte b = in.get();
        v |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          return v;
        }
      }
    }

    boolean has(int field) {
      return fields.containsKey(field);
    }

    private List<Object> all(int field) {
      return fields.getOrDefault(field, List.of());
    }

    long varint(int field) {
      List<Object> v = all(field);
      return v.isEmpty() ? 0 : (Long) v.get(v.size() - 1);
    }

    long fixed(int field) {
      return varint(field);
    }

    byte[] bytes(int field) {
      List<Object> v = all(field);
      return v.isEmpty() ? new byte[0] : (byte[]) v.get(v.size() - 1);
    }

    String string(int field) {
      return new String(bytes(field), StandardCharsets.UTF_8);
    }

    List<String> strings(int field) {
      return all(field).stream().map(b -> new String((byte[]) b, StandardCharsets.UTF_8)).toList();
    }

    List<Proto> messages(int field) {
      return all(field).stream().map(b -> new Proto((byte[]) b)).toList();
    }

    /** A repeated varint field, packed or not. */
    List<Long> varints(int field) {
      List<Long> out = new ArrayList<>();
      for (Object o : all(field)) {
        if (o instanceof byte[] packed) {
          ByteBuffer in = ByteBuffer.wrap(packed);
          while (in.hasRemaining()) {
            out.add(readVarint(in));
          }
        } else {
          out.add((Long) o);
        }
      }
      return out;
    }

    List<Long> fixed32s(int field) {
      return fixeds(field, 4);
    }

    List<Long> fixed64s(int field) {
      return fixeds(field, 8);
    }

    private List<Long> fixeds(int field, int width) {
      List<Long> out = new ArrayList<>();
      for (Object o : all(field)) {
        if (o instanceof byte[] packed) {
          ByteBuffer in = ByteBuffer.wrap(packed).order(ByteOrder.LITTLE_ENDIAN);
          while (in.hasRemaining()) {
            out.add(width == 4 ? in.getInt() & 0xffffffffL : in.getLong());
          }
        } else {
          out.add((Long) o);
        }
      }
      return out;
    }
  }
}
