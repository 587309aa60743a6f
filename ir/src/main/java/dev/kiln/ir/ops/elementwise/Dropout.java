package dev.kiln.ir.ops.elementwise;

import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX Dropout (opset 12 and later) in inference mode: output 0 is the input unchanged and the
 * optional output 1, the mask, is all true. Inputs 1 ({@code ratio}) and 2 ({@code
 * training_mode}) are optional. Kiln compiles for inference, so {@code training_mode} must be
 * false, or true with a {@code ratio} of 0 (which drops nothing, so training mode is the same
 * identity): any other training mode makes the outputs random, which Kiln will not silently
 * ignore. A {@code training_mode} that is not a constant is checked once its value is known: by
 * the interpreter when it runs, by the compiled engine when it specializes on it (slots 1 and 2
 * are read at compile time). The {@code seed} attribute is accepted and unused.
 */
final class Dropout extends OpSchema {
  Dropout() {
    super("Dropout", 1, 3, 1, 2, List.of(AttrSpec.optional("seed", AttributeKind.INT)));
  }

  @Override
  public boolean readsAtCompileTime(int slot) {
    // Whether the node is legal (inference only) depends on training_mode and, when it is
    // true, on the ratio.
    return slot == 1 || slot == 2;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType data = ElementTypes.FLOATING.require(ctx, 0);
    if (ctx.hasInput(1)) {
      TensorType ratio = ElementTypes.FLOATING.require(ctx, 1);
      requireScalar(ratio, 1, "ratio");
      if (ctx.constant(1).isPresent()) {
        double r = ctx.constant(1).get().getDouble(0);
        if (!(r >= 0 && r < 1)) {
          throw OpException.of("input 1 (ratio) must be in [0, 1), got %s", r);
        }
      }
    }
    if (ctx.hasInput(2)) {
      requireScalar(ElementTypes.BOOL.require(ctx, 2), 2, "training_mode");
      boolean training = ctx.constant(2).map(t -> t.getBoolean(0)).orElse(false);
      // A ratio of 0 drops nothing: training mode is then the identity too. (The default ratio
      // is 0.5.)
      boolean dropsNothing = ctx.hasInput(1)
          && ctx.constant(1).map(t -> t.getDouble(0) == 0).orElse(false);
      if (training && !dropsNothing) {
        throw OpException.of(
            "input 2 (training_mode) is true, but Kiln compiles models for inference only;"
                + " export the model in inference (eval) mode");
      }
    }
    List<TensorType> out = new ArrayList<>();
    out.add(data);
    if (ctx.outputCount() == 2) {
      out.add(new TensorType(DType.BOOL, data.shape()));
    }
    return out;
  }

  private static void requireScalar(TensorType t, int input, String name) {
    if (t.rank() != 0) {
      throw OpException.of("input %d (%s) must be a scalar, got %s", input, name, t);
    }
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    inferTypes(Broadcasting.asInference(ctx));
    Tensor data = ctx.input(0);
    List<Tensor> out = new ArrayList<>();
    out.add(data);
    if (ctx.outputCount() == 2) {
      TensorWriter mask = TensorWriter.of(DType.BOOL, data.shape());
      for (long i = 0; i < mask.size(); i++) {
        mask.setBoolean(i, true);
      }
      out.add(mask.build());
    }
    return out;
  }
}
