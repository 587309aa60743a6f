package dev.kiln.frontend.onnx;

import com.google.protobuf.ByteString;
import dev.kiln.frontend.onnx.proto.Onnx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small ONNX models for tests, written with Kiln's own protobuf classes. */
final class OnnxProtos {
  private OnnxProtos() {}

  static Onnx.ValueInfoProto value(String name, int elemType, Object... dims) {
    Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
    for (Object d : dims) {
      Onnx.TensorShapeProto.Dimension.Builder db = Onnx.TensorShapeProto.Dimension.newBuilder();
      if (d instanceof Number n) {
        db.setDimValue(n.longValue());
      } else if (d instanceof String s && !s.equals("?")) {
        db.setDimParam(s);
      }
      shape.addDim(db);
    }
    return Onnx.ValueInfoProto.newBuilder().setName(name)
        .setType(Onnx.TypeProto.newBuilder().setTensorType(
            Onnx.TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape)))
        .build();
  }

  static Onnx.NodeProto node(String op, String name, String[] inputs, String[] outputs,
      Onnx.AttributeProto... attrs) {
    Onnx.NodeProto.Builder b = Onnx.NodeProto.newBuilder().setOpType(op).setName(name);
    for (String i : inputs) {
      b.addInput(i);
    }
    for (String o : outputs) {
      b.addOutput(o);
    }
    for (Onnx.AttributeProto a : attrs) {
      b.addAttribute(a);
    }
    return b.build();
  }

  static String[] names(String... names) {
    return names;
  }

  static Onnx.AttributeProto intAttr(String name, long v) {
    return Onnx.AttributeProto.newBuilder().setName(name)
        .setType(Onnx.AttributeProto.AttributeType.INT).setI(v).build();
  }

  static Onnx.AttributeProto floatAttr(String name, float v) {
    return Onnx.AttributeProto.newBuilder().setName(name)
        .setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(v).build();
  }

  static Onnx.AttributeProto intsAttr(String name, long... v) {
    Onnx.AttributeProto.Builder b = Onnx.AttributeProto.newBuilder().setName(name)
        .setType(Onnx.AttributeProto.AttributeType.INTS);
    for (long x : v) {
      b.addInts(x);
    }
    return b.build();
  }

  static Onnx.AttributeProto graphAttr(String name, Onnx.GraphProto g) {
    return Onnx.AttributeProto.newBuilder().setName(name)
        .setType(Onnx.AttributeProto.AttributeType.GRAPH).setG(g).build();
  }

  static Onnx.TensorProto floats(String name, long[] dims, float... values) {
    ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buf.putFloat(v);
    }
    Onnx.TensorProto.Builder b = Onnx.TensorProto.newBuilder().setName(name).setDataType(1)
        .setRawData(ByteString.copyFrom(buf.array()));
    for (long d : dims) {
      b.addDims(d);
    }
    return b.build();
  }

  static Onnx.TensorProto longs(String name, long[] dims, long... values) {
    Onnx.TensorProto.Builder b = Onnx.TensorProto.newBuilder().setName(name).setDataType(7);
    for (long d : dims) {
      b.addDims(d);
    }
    for (long v : values) {
      b.addInt64Data(v);
    }
    return b.build();
  }

  static Onnx.ModelProto model(int opset, Onnx.GraphProto graph) {
    return Onnx.ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setGraph(graph)
        .build();
  }

  static Path write(Path file, Onnx.ModelProto model) {
    try {
      Files.write(file, model.toByteArray());
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
