package dev.kiln.ir.ops.linalg;

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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX {@code MatMul} (opset 13): NumPy {@code matmul}. A 1-D first operand is treated as a row
 * [1, K] and a 1-D second operand as a column [K, 1]; the dimension added for it is removed from
 * the result. Dimensions before the last two are batch dimensions and broadcast.
 */
final class MatMul extends OpSchema {
  static final MatMul INSTANCE = new MatMul();

  private static final DType[] TYPES = {
    DType.F16, DType.BF16, DType.F32, DType.F64, DType.I32, DType.I64, DType.U32, DType.U64
  };

  private MatMul() {
    super("MatMul", 2, 2, 1, 1, List.of());
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType a = ctx.requireDType(0, TYPES);
    TensorType b = ctx.requireDType(1, TYPES);
    ctx.requireSameDType(0, 1);
    return List.of(new TensorType(a.dtype(), resultShape(a, b)));
  }

  private static Shape resultShape(TensorType a, TensorType b) {
    if (a.rank() == 0 || b.rank() == 0) {
      throw OpException.of(
          "MatMul needs operands of rank >= 1, got %s and %s (use Mul for scalars)", a, b);
    }
    Shape sa = a.shape();
    Shape sb = b.shape();
    Dim ka = sa.dim(sa.rank() - 1);
    Dim kb = sb.dim(sb.rank() == 1 ? 0 : sb.rank() - 2);
    if (ka.isKnown() && kb.isKnown() && ka.size() != kb.size()) {
      throw OpException.of(
          "MatMul inner dimensions do not match: input 0 is %s (K = %s) and input 1 is %s (K = %s)",
          a, ka, b, kb);
    }
    Shape batchA = Shape.of(sa.dims().subList(0, Math.max(0, sa.rank() - 2)));
    Shape batchB = Shape.of(sb.dims().subList(0, Math.max(0, sb.rank() - 2)));
    List<Dim> out = new ArrayList<>(Shapes.broadcast(batchA, batchB).dims());
    if (sa.rank() >= 2) {
      out.add(sa.dim(sa.rank() - 2));
    }
    if (sb.rank() >= 2) {
      out.add(sb.dim(sb.rank() - 1));
    }
    return Shape.of(out);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor a = ctx.input(0);
    Tensor b = ctx.input(1);
    long[] shapeA = a.rank() == 1 ? new long[] {1, a.dim(0)} : a.shape();
    long[] shapeB = b.rank() == 1 ? new long[] {b.dim(0), 1} : b.shape();
    long m = shapeA[shapeA.length - 2];
    long k = shapeA[shapeA.length - 1];
    long n = shapeB[shapeB.length - 1];
    if (shapeB[shapeB.length - 2] != k) {
      throw OpException.of(
          "MatMul inner dimensions do not match: input 0 is %s and input 1 is %s",
          a.type(), b.type());
    }
    long[] batchA = Arrays.copyOf(shapeA, shapeA.length - 2);
    long[] batchB = Arrays.copyOf(shapeB, shapeB.length - 2);
    long[] batch = Shapes.broadcast(batchA, batchB);
    long batches = Shapes.size(batch);
    long[] outShape = resultShape(a.type(), b.type()).toLongArray();
    TensorWriter out = TensorWriter.of(a.dtype(), outShape);
    boolean floating = a.dtype().isFloating();
    for (long bi = 0; bi < batches; bi++) {
      long offA = Shapes.broadcastIndex(bi, batch, batchA) * m * k;
      long offB = Shapes.broadcastIndex(bi, batch, batchB) * k * n;
      long offOut = bi * m * n;
      for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
          long at = offOut + i * n + j;
          if (floating) {
            double acc = 0;
            for (long p = 0; p < k; p++) {
              acc += a.getDouble(offA + i * k + p) * b.getDouble(offB + p * n + j);
            }
            out.setDouble(at, acc);
          } else {
            long acc = 0;
            for (long p = 0; p < k; p++) {
              acc += a.getLong(offA + i * k + p) * b.getLong(offB + p * n + j);
            }
            out.setLong(at, acc);
          }
        }
      }
    }
    return List.of(out.build());
  }
}
