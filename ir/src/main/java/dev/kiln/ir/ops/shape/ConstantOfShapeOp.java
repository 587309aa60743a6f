package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * ONNX {@code ConstantOfShape} (opset 9): a tensor of the shape in input 1, every element equal to
 * the one-element tensor attribute {@code value} (default f32 0), whose type it takes. An empty
 * shape gives a scalar.
 */
final class ConstantOfShapeOp extends OpSchema {
  static final ConstantOfShapeOp INSTANCE = new ConstantOfShapeOp();

  private ConstantOfShapeOp() {
    super("ConstantOfShape", 1, 1, 1, 1, List.of(AttrSpec.optional("value", AttributeKind.TENSOR)));
  }

  @Override
  public boolean readsAtCompileTime(int slot) {
    // Input 0 is the output shape.
    return slot == 0;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    Tensor value = value(ctx);
    int length = IntInputs.staticLength1D(ctx, 0, "shape", DType.I64);
    Optional<long[]> shape = IntInputs.values(ctx, 0);
    if (shape.isEmpty()) {
      return List.of(new TensorType(value.dtype(), Shape.of(DimMath.unknown(length))));
    }
    for (long v : shape.get()) {
      if (v < 0) {
        throw OpException.of("input 0 (shape) = %s has a negative size", Arrays.toString(shape.get()));
      }
    }
    return List.of(new TensorType(value.dtype(), Shape.of(shape.get())));
  }

  private static Tensor value(InferenceContext ctx) {
    Tensor value = ctx.attrs().getTensor("value").orElse(Tensor.zeros(DType.F32, 1));
    if (value.size() != 1) {
      throw OpException.of("attribute 'value' must hold one element, got %s", value.type());
    }
    return value;
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    InferenceContext ic = Layout.asInference(ctx);
    Tensor value = value(ic);
    TensorWriter w = TensorWriter.of(value.dtype(), Layout.sizes(inferTypes(ic).get(0)));
    for (long i = 0; i < w.size(); i++) {
      w.copyElement(value, 0, i);
    }
    return List.of(w.build());
  }
}
