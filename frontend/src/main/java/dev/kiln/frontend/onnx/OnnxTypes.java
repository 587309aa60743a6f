package dev.kiln.frontend.onnx;

import dev.kiln.frontend.onnx.proto.Onnx;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code TypeProto} to {@link TensorType} and back. A {@code dim_param} becomes a named dim
 * ({@code N}), a dim with neither a value nor a name an unknown one ({@code ?}).
 */
final class OnnxTypes {
  private OnnxTypes() {}

  /** @throws InvalidOnnxException for non-tensor types, unsupported element types, no shape */
  static TensorType read(Onnx.TypeProto type) {
    if (!type.hasTensorType()) {
      String kind = switch (type.getValueCase()) {
        case SEQUENCE_TYPE -> "a sequence";
        case MAP_TYPE -> "a map";
        case OPTIONAL_TYPE -> "an optional";
        case SPARSE_TENSOR_TYPE -> "a sparse tensor";
        case OPAQUE_TYPE -> "an opaque value";
        default -> "of no type";
      };
      throw new InvalidOnnxException("is " + kind + "; Kiln supports dense tensors only");
    }
    Onnx.TypeProto.Tensor t = type.getTensorType();
    DType dtype = OnnxDTypes.toKiln(t.getElemType())
        .orElseThrow(() -> new InvalidOnnxException(OnnxDTypes.unsupported(t.getElemType())));
    if (!t.hasShape()) {
      throw new InvalidOnnxException("has no shape; Kiln needs at least the rank of every input");
    }
    List<Dim> dims = new ArrayList<>();
    for (Onnx.TensorShapeProto.Dimension d : t.getShape().getDimList()) {
      if (d.hasDimValue()) {
        if (d.getDimValue() < 0) {
          throw new InvalidOnnxException("has a negative dimension " + d.getDimValue());
        }
        dims.add(Dim.of(d.getDimValue()));
      } else if (d.hasDimParam() && !d.getDimParam().isEmpty()) {
        dims.add(new Dim.Named(d.getDimParam()));
      } else {
        dims.add(Dim.UNKNOWN);
      }
    }
    return new TensorType(dtype, Shape.of(dims));
  }

  static Onnx.TypeProto write(TensorType type) {
    Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
    for (Dim d : type.shape().dims()) {
      Onnx.TensorShapeProto.Dimension.Builder db = Onnx.TensorShapeProto.Dimension.newBuilder();
      switch (d) {
        case Dim.Known k -> db.setDimValue(k.size());
        case Dim.Named n -> db.setDimParam(n.name());
        case Dim.Unknown u -> { }
      }
      shape.addDim(db);
    }
    return Onnx.TypeProto.newBuilder()
        .setTensorType(Onnx.TypeProto.Tensor.newBuilder()
            .setElemType(type.dtype().onnxCode())
            .setShape(shape))
        .build();
  }
}
