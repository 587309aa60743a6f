package dev.kiln.frontend.onnx;

import com.google.common.collect.ImmutableList;
import dev.kiln.frontend.onnx.proto.Onnx;
import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** {@code AttributeProto} to Kiln's {@link Attribute} and back. */
final class OnnxAttributes {
  private OnnxAttributes() {}

  /**
   * The Kiln attribute of an ONNX one.
   *
   * @throws InvalidOnnxException for kinds Kiln's operators never take (graphs, sparse tensors,
   *     type protos, lists of tensors), naming the attribute
   */
  static Attribute read(Onnx.AttributeProto a, Optional<ExternalData> external) {
    Onnx.AttributeProto.AttributeType type = a.hasType() ? a.getType() : guessType(a);
    return switch (type) {
      case FLOAT -> Attribute.of(a.getF());
      case INT -> Attribute.of(a.getI());
      case STRING -> Attribute.of(a.getS().toString(StandardCharsets.UTF_8));
      case FLOATS -> new Attribute.FloatsAttr(ImmutableList.copyOf(a.getFloatsList()));
      case INTS -> new Attribute.IntsAttr(ImmutableList.copyOf(a.getIntsList()));
      case STRINGS -> new Attribute.StringsAttr(a.getStringsList().stream()
          .map(s -> s.toString(StandardCharsets.UTF_8))
          .collect(ImmutableList.toImmutableList()));
      case TENSOR -> {
        try {
          Tensor t = OnnxTensors.read(a.getT(), external);
          yield Attribute.of(t);
        } catch (InvalidOnnxException e) {
          throw new InvalidOnnxException("attribute '" + a.getName() + "': " + e.getMessage());
        }
      }
      default -> throw new InvalidOnnxException("attribute '" + a.getName() + "' is of kind "
          + type + ", which Kiln does not support");
    };
  }

  /** IR version 1 files have no {@code type}: it is whichever value field is set. */
  private static Onnx.AttributeProto.AttributeType guessType(Onnx.AttributeProto a) {
    if (a.hasF()) {
      return Onnx.AttributeProto.AttributeType.FLOAT;
    } else if (a.hasI()) {
      return Onnx.AttributeProto.AttributeType.INT;
    } else if (a.hasS()) {
      return Onnx.AttributeProto.AttributeType.STRING;
    } else if (a.hasT()) {
      return Onnx.AttributeProto.AttributeType.TENSOR;
    } else if (a.hasG()) {
      return Onnx.AttributeProto.AttributeType.GRAPH;
    } else if (a.getFloatsCount() > 0) {
      return Onnx.AttributeProto.AttributeType.FLOATS;
    } else if (a.getIntsCount() > 0) {
      return Onnx.AttributeProto.AttributeType.INTS;
    } else if (a.getStringsCount() > 0) {
      return Onnx.AttributeProto.AttributeType.STRINGS;
    }
    return Onnx.AttributeProto.AttributeType.UNDEFINED;
  }

  static Onnx.AttributeProto write(String name, Attribute attr) {
    Onnx.AttributeProto.Builder b = Onnx.AttributeProto.newBuilder().setName(name);
    switch (attr) {
      case Attribute.IntAttr i -> b.setType(Onnx.AttributeProto.AttributeType.INT).setI(i.value());
      case Attribute.FloatAttr f ->
          b.setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(f.value());
      case Attribute.StringAttr s -> b.setType(Onnx.AttributeProto.AttributeType.STRING)
          .setS(com.google.protobuf.ByteString.copyFromUtf8(s.value()));
      case Attribute.IntsAttr is ->
          b.setType(Onnx.AttributeProto.AttributeType.INTS).addAllInts(is.values());
      case Attribute.FloatsAttr fs ->
          b.setType(Onnx.AttributeProto.AttributeType.FLOATS).addAllFloats(fs.values());
      case Attribute.StringsAttr ss -> {
        b.setType(Onnx.AttributeProto.AttributeType.STRINGS);
        ss.values().forEach(s -> b.addStrings(com.google.protobuf.ByteString.copyFromUtf8(s)));
      }
      case Attribute.TensorAttr t -> b.setType(Onnx.AttributeProto.AttributeType.TENSOR)
          .setT(OnnxTensors.write("", t.value()));
    }
    return b.build();
  }
}
