package dev.kiln.ir.ops.linalg;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.List;
import java.util.Optional;

/**
 * ONNX {@code Gemm} (opset 13): {@code Y = alpha * A' * B' + beta * C} where {@code A'} is A or
 * its transpose ({@code transA}), likewise {@code B'}, and the optional C broadcasts
 * unidirectionally to [M, N].
 */
final class Gemm extends OpSchema {
  static final Gemm INSTANCE = new Gemm();

  private static final DType[] TYPES = {
    DType.F16, DType.BF16, DType.F32, DType.F64, DType.I32, DType.I64, DType.U32, DType.U64
  };

  private Gemm() {
    super(
        "Gemm",
        2,
        3,
        1,
        1,
        List.of(
            AttrSpec.optional("alpha", Attribute.of(1.0f)),
            AttrSpec.optional("beta", Attribute.of(1.0f)),
            AttrSpec.optional("transA", Attribute.of(0L)),
            AttrSpec.optional("transB", Attribute.of(0L))));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType a = ctx.requireDType(0, TYPES);
    TensorType b = ctx.requireDType(1, TYPES);
    ctx.requireSameDType(0, 1);
    boolean transA = flag(ctx.attrs().getInt("transA", 0), "transA");
    boolean transB = flag(ctx.attrs().getInt("transB", 0), "transB");
    for (int i = 0; i < 2; i++) {
      if (ctx.type(i).rank() != 2) {
        throw OpException.of(
            "input %d (%s) of Gemm must be 2-D, got %s", i, i == 0 ? "A" : "B", ctx.type(i));
      }
    }
    Dim m = a.shape().dim(transA ? 1 : 0);
    Dim ka = a.shape().dim(transA ? 0 : 1);
    Dim kb = b.shape().dim(transB ? 1 : 0);
    Dim n = b.shape().dim(transB ? 0 : 1);
    if (ka.isKnown() && kb.isKnown() && ka.size() != kb.size()) {
      throw OpException.of(
          "Gemm inner dimensions do not match: input 0 is %s%s (K = %s)"
              + " and input 1 is %s%s (K = %s)",
          a, transA ? " transposed" : "", ka, b, transB ? " transposed" : "", kb);
    }
    Shape out = Shape.of(m, n);
    if (ctx.hasInput(2)) {
      ctx.requireSameDType(0, 2);
      checkBroadcastToOutput(ctx.type(2).shape(), out);
    }
    return List.of(new TensorType(a.dtype(), out));
  }

  /** C must broadcast to [M, N] without itself growing (ONNX unidirectional broadcasting). */
  private static void checkBroadcastToOutput(Shape c, Shape out) {
    if (c.rank() > 2) {
      throw OpException.of("input 2 (C) of Gemm must have rank <= 2, got %s", c);
    }
    for (int i = 0; i < c.rank(); i++) {
      Dim dc = c.dim(i);
      Dim dOut = out.dim(i + 2 - c.rank());
      boolean one = dc.isKnown() && dc.size() == 1;
      if (!one && dc.isKnown() && dOut.isKnown() && dc.size() != dOut.size()) {
        throw OpException.of(
            "input 2 (C) of Gemm has shape %s, which does not broadcast to the output shape %s",
            c, out);
      }
    }
  }

  private static boolean flag(long value, String name) {
    if (value != 0 && value != 1) {
      throw OpException.of("attribute '%s' must be 0 or 1, got %d", name, value);
    }
    return value == 1;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor a = ctx.input(0);
    Tensor b = ctx.input(1);
    Optional<Tensor> c = ctx.optionalInput(2);
    boolean transA = flag(ctx.attrs().getInt("transA", 0), "transA");
    boolean transB = flag(ctx.attrs().getInt("transB", 0), "transB");
    double alpha = ctx.attrs().getFloat("alpha", 1.0f);
    double beta = ctx.attrs().getFloat("beta", 1.0f);
    long m = a.dim(transA ? 1 : 0);
    long k = a.dim(transA ? 0 : 1);
    long n = b.dim(transB ? 0 : 1);
    if (b.dim(transB ? 1 : 0) != k) {
      throw OpException.of(
          "Gemm inner dimensions do not match: input 0 is %s and input 1 is %s",
          a.type(),
          b.type());
    }
    long[] outShape = {m, n};
    long[] cShape = c.map(Tensor::shape).orElse(new long[0]);
    if (c.isPresent()) {
      checkBroadcastToOutput(Shape.of(cShape), Shape.of(outShape));
    }
    // Integer Gemm with unit alpha and beta stays exact in long; anything else is real arithmetic.
    boolean exact = !a.dtype().isFloating() && alpha == 1.0 && beta == 1.0;
    TensorWriter out = TensorWriter.of(a.dtype(), outShape);
    for (long i = 0; i < m; i++) {
      for (long j = 0; j < n; j++) {
        long at = i * n + j;
        long cAt = c.isPresent() ? Shapes.broadcastIndex(at, outShape, cShape) : -1;
        if (exact) {
          long acc = 0;
          for (long p = 0; p < k; p++) {
            acc +=
                a.getLong(transA ? p * m + i : i * k + p)
                    * b.getLong(transB ? j * k + p : p * n + j);
          }
          out.setLong(at, acc + (c.isPresent() ? c.get().getLong(cAt) : 0));
        } else {
          double acc = 0;
          for (long p = 0; p < k; p++) {
            acc +=
                a.getDouble(transA ? p * m + i : i * k + p)
                    * b.getDouble(transB ? j * k + p : p * n + j);
          }
          out.setDouble(at, alpha * acc + (c.isPresent() ? beta * c.get().getDouble(cAt) : 0));
        }
      }
    }
    return List.of(out.build());
  }
}
