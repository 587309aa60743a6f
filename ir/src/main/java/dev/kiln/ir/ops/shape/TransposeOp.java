package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX {@code Transpose} (opset 13): output axis {@code i} is input axis {@code perm[i]}; without
 * {@code perm} the axes are reversed.
 */
final class TransposeOp extends OpSchema {
  static final TransposeOp INSTANCE = new TransposeOp();

  private TransposeOp() {
    super("Transpose", 1, 1, 1, 1, List.of(AttrSpec.optional("perm", AttributeKind.INTS)));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.type(0);
    int[] perm = perm(ctx, x.rank());
    List<Dim> dims = new ArrayList<>();
    for (int p : perm) {
      dims.add(x.shape().dim(p));
    }
    return List.of(new TensorType(x.dtype(), Shape.of(dims)));
  }

  private static int[] perm(InferenceContext ctx, int rank) {
    long[] given = ctx.attrs().getInts("perm").orElse(null);
    int[] perm = new int[rank];
    if (given == null) {
      for (int i = 0; i < rank; i++) {
        perm[i] = rank - 1 - i;
      }
      return perm;
    }
    boolean[] seen = new boolean[rank];
    boolean valid = given.length == rank;
    for (int i = 0; valid && i < rank; i++) {
      valid = given[i] >= 0 && given[i] < rank && !seen[(int) given[i]];
      if (valid) {
        seen[(int) given[i]] = true;
        perm[i] = (int) given[i];
      }
    }
    if (!valid) {
      throw OpException.of(
          "attribute 'perm' = %s is not a permutation of the %d axes of input 0 %s",
          Arrays.toString(given), rank, ctx.type(0));
    }
    return perm;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    return List.of(Layout.permute(x, perm(Layout.asInference(ctx), x.rank())));
  }
}
