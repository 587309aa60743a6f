package dev.kiln.frontend.onnx;

import com.google.protobuf.ByteString;
import dev.kiln.frontend.onnx.proto.Onnx;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;

/**
 * {@code TensorProto} to {@link Tensor} and back. Reads every storage ONNX allows: {@code raw_data}
 * (little-endian, without a copy), the typed fields ({@code float_data}, {@code int32_data} for
 * the narrow integers, bool and the bit patterns of f16/bf16, {@code int64_data},
 * {@code double_data}, {@code uint64_data} for u32/u64), and external data files.
 */
final class OnnxTensors {
  private static final ValueLayout.OfShort I16 =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt I32 =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong I64 =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat F32 =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfDouble F64 =
      ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private OnnxTensors() {}

  /**
   * The tensor a {@code TensorProto} holds.
   *
   * @param external resolves external data; empty where none may be used (test data files)
   * @throws InvalidOnnxException naming what is wrong (the caller adds which tensor)
   */
  static Tensor read(Onnx.TensorProto t, Optional<ExternalData> external) {
    try {
      return readChecked(t, external);
    } catch (ArithmeticException e) {
      throw new InvalidOnnxException("its size " + t.getDimsList() + " overflows a 64-bit count");
    }
  }

  private static Tensor readChecked(Onnx.TensorProto t, Optional<ExternalData> external) {
    DType dtype = OnnxDTypes.toKiln(t.getDataType())
        .orElseThrow(() -> new InvalidOnnxException(OnnxDTypes.unsupported(t.getDataType())));
    long[] shape = new long[t.getDimsCount()];
    long size = 1;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = t.getDims(i);
      if (shape[i] < 0) {
        throw new InvalidOnnxException("negative dimension in " + Arrays.toString(shape(t)));
      }
      size = Math.multiplyExact(size, shape[i]);
    }
    if (t.hasSegment()) {
      throw new InvalidOnnxException("segmented tensors (TensorProto.segment) are not supported");
    }
    long bytes = Math.multiplyExact(size, dtype.byteSize());
    if (t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL) {
      if (external.isEmpty()) {
        throw new InvalidOnnxException("external data is not allowed here");
      }
      return Tensor.wrap(dtype, shape, external.get().read(t, bytes));
    }
    if (t.hasRawData()) {
      ByteString raw = t.getRawData();
      if (raw.size() != bytes) {
        throw new InvalidOnnxException("raw_data has " + raw.size() + " bytes; "
            + dtype + Arrays.toString(shape) + " needs " + bytes);
      }
      // ByteString is immutable, so its bytes can back the tensor without a copy.
      return Tensor.wrap(dtype, shape, MemorySegment.ofBuffer(raw.asReadOnlyByteBuffer()));
    }
    return fromTypedFields(t, dtype, shape, size);
  }

  private static Tensor fromTypedFields(Onnx.TensorProto t, DType dtype, long[] shape, long size) {
    byte[] out = new byte[Math.toIntExact(size * dtype.byteSize())];
    MemorySegment seg = MemorySegment.ofArray(out);
    switch (dtype) {
      case F32 -> {
        check(t.getFloatDataCount(), size, "float_data", dtype);
        for (int i = 0; i < size; i++) {
          seg.setAtIndex(F32, i, t.getFloatData(i));
        }
      }
      case F64 -> {
        check(t.getDoubleDataCount(), size, "double_data", dtype);
        for (int i = 0; i < size; i++) {
          seg.setAtIndex(F64, i, t.getDoubleData(i));
        }
      }
      case I64 -> {
        check(t.getInt64DataCount(), size, "int64_data", dtype);
        for (int i = 0; i < size; i++) {
          seg.setAtIndex(I64, i, t.getInt64Data(i));
        }
      }
      case U64 -> {
        check(t.getUint64DataCount(), size, "uint64_data", dtype);
        for (int i = 0; i < size; i++) {
          seg.setAtIndex(I64, i, t.getUint64Data(i));
        }
      }
      case U32 -> {
        check(t.getUint64DataCount(), size, "uint64_data", dtype);
        for (int i = 0; i < size; i++) {
          seg.setAtIndex(I32, i, (int) t.getUint64Data(i));
        }
      }
      case I32 -> {
        check(t.getInt32DataCount(), size, "int32_data", dtype);
        for (int i = 0; i < size; i++) {
          seg.setAtIndex(I32, i, t.getInt32Data(i));
        }
      }
      case I16, U16, F16, BF16 -> {
        // f16 and bf16 travel as their 16-bit patterns in int32_data.
        check(t.getInt32DataCount(), size, "int32_data", dtype);
        for (int i = 0; i < size; i++) {
          seg.setAtIndex(I16, i, (short) t.getInt32Data(i));
        }
      }
      case I8, U8, BOOL -> {
        check(t.getInt32DataCount(), size, "int32_data", dtype);
        for (int i = 0; i < size; i++) {
          int v = t.getInt32Data(i);
          out[i] = dtype == DType.BOOL ? (byte) (v != 0 ? 1 : 0) : (byte) v;
        }
      }
    }
    return Tensor.fromBytes(dtype, shape, out);
  }

  private static void check(int count, long size, String field, DType dtype) {
    if (count != size) {
      throw new InvalidOnnxException(count == 0 && size > 0
          ? "no data: neither raw_data nor " + field + " holds the " + size + " elements"
          : field + " has " + count + " elements; a " + dtype + " tensor of this shape has " + size);
    }
  }

  private static long[] shape(Onnx.TensorProto t) {
    return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
  }

  /** A {@code TensorProto} holding {@code tensor} in {@code raw_data}. */
  static Onnx.TensorProto write(String name, Tensor tensor) {
    Onnx.TensorProto.Builder b = Onnx.TensorProto.newBuilder()
        .setName(name)
        .setDataType(tensor.dtype().onnxCode());
    for (long d : tensor.shape()) {
      b.addDims(d);
    }
    // Copy through an array: heap segments over long[] or double[] have no ByteBuffer view.
    byte[] bytes = new byte[Math.toIntExact(tensor.byteSize())];
    MemorySegment.copy(tensor.data(), 0, MemorySegment.ofArray(bytes), 0, bytes.length);
    b.setRawData(ByteString.copyFrom(bytes));
    return b.build();
  }
}
