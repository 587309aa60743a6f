package dev.kiln.frontend.safetensors;

import com.google.common.collect.ImmutableBiMap;
import dev.kiln.ir.type.DType;
import java.util.Optional;

/** The safetensors dtype names ({@code "F32"}, {@code "BOOL"}, ...) of Kiln's element types. */
final class SafeTensorsDTypes {
  private SafeTensorsDTypes() {}

  // An explicit table rather than DType.name(): the file format's names are a contract that must
  // not change if a Kiln constant is ever renamed.
  private static final ImmutableBiMap<String, DType> BY_NAME =
      ImmutableBiMap.<String, DType>builder()
          .put("F64", DType.F64)
          .put("F32", DType.F32)
          .put("F16", DType.F16)
          .put("BF16", DType.BF16)
          .put("I64", DType.I64)
          .put("I32", DType.I32)
          .put("I16", DType.I16)
          .put("I8", DType.I8)
          .put("U64", DType.U64)
          .put("U32", DType.U32)
          .put("U16", DType.U16)
          .put("U8", DType.U8)
          .put("BOOL", DType.BOOL)
          .buildOrThrow();

  static Optional<DType> fromName(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  static String nameOf(DType dtype) {
    String name = BY_NAME.inverse().get(dtype);
    if (name == null) {
      // Only reachable when a DType is added without a safetensors name.
      throw new IllegalStateException("no safetensors dtype for " + dtype);
    }
    return name;
  }

  /** The supported names, for "unknown dtype" messages. */
  static String supported() {
    return String.join(", ", BY_NAME.keySet());
  }
}
