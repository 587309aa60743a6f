package dev.kiln.ir.ops.linalg;

import dev.kiln.ir.ops.elementwise.Epilogue;
import dev.kiln.ir.ops.elementwise.FusedWithEpilogue;

/**
 * Kiln's {@code FusedGemm}: inputs A, B, C? (as {@code Gemm}) and Z?, Gemm's attributes plus an
 * {@link Epilogue}; {@code Y = act(alpha A'B' + beta C + Z)}, Z of Y's type. Made by
 * {@code fuse-epilogue}. (ONNX Runtime's {@code com.microsoft.FusedGemm} has no Z and spells the
 * activation's parameters differently, so Kiln does not export it under that name.)
 */
final class FusedGemm extends FusedWithEpilogue {
  static final FusedGemm INSTANCE = new FusedGemm();

  private FusedGemm() {
    super("FusedGemm", Gemm.INSTANCE);
  }
}
