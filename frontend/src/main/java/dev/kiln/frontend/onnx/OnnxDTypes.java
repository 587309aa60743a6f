package dev.kiln.frontend.onnx;

import dev.kiln.ir.type.DType;
import java.util.Optional;

/** ONNX element type codes ({@code TensorProto.DataType}) and Kiln's dtypes. */
final class OnnxDTypes {
  private OnnxDTypes() {}

  private static final String[] NAMES = {
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
    "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
    "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1"
  };

  /** The Kiln dtype of an ONNX element type, empty for types Kiln has not (string, complex...). */
  static Optional<DType> toKiln(int onnxCode) {
    return DType.fromOnnxCode(onnxCode);
  }

  /** The ONNX name of a code, for messages: {@code STRING}, or {@code code 42} when unknown. */
  static String name(int onnxCode) {
    return onnxCode >= 0 && onnxCode < NAMES.length ? NAMES[onnxCode] : "code " + onnxCode;
  }

  /** "element type STRING is not supported (Kiln has f32, f64, ...)". */
  static String unsupported(int onnxCode) {
    return "element type " + name(onnxCode) + " is not supported (Kiln's are "
        + "f32, f64, f16, bf16, i8, u8, i16, u16, i32, u32, i64, u64, bool)";
  }
}
