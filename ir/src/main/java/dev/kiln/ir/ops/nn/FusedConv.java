package dev.kiln.ir.ops.nn;

import dev.kiln.ir.ops.elementwise.Epilogue;
import dev.kiln.ir.ops.elementwise.FusedWithEpilogue;

/**
 * Kiln's {@code FusedConv}, named and shaped like ONNX Runtime's {@code com.microsoft.FusedConv}:
 * inputs X, W, B? (as {@code Conv}) and Z?, Conv's attributes plus an {@link Epilogue}
 * ({@code activation}, {@code activation_params}); {@code Y = act(Conv(X, W, B) + Z)}, Z of Y's
 * type. The {@code fuse-epilogue} pass makes it from a Conv and the bias, residual Add and
 * activation after it.
 */
final class FusedConv extends FusedWithEpilogue {
  static final FusedConv INSTANCE = new FusedConv();

  private FusedConv() {
    super("FusedConv", Conv.INSTANCE);
  }
}
