package dev.kiln.ir.ops.shape;

import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.List;
import java.util.Optional;

/** ONNX {@code Size} (opset 13): the element count of input 0 as an i64 scalar. */
final class SizeOp extends OpSchema {
  static final SizeOp INSTANCE = new SizeOp();

  private SizeOp() {
    super("Size", 1, 1, 1, 1, List.of());
  }

  @Override
  public boolean outputsDependOnInputTypesOnly() {
    return true;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    ctx.type(0);
    return List.of(new TensorType(DType.I64, Shape.SCALAR));
  }

  @Override
  public Optional<List<Tensor>> foldWithoutConstants(InferenceContext ctx) {
    Shape shape = ctx.type(0).shape();
    return shape.isStatic() ? Optional.of(List.of(count(shape.elementCount()))) : Optional.empty();
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    return List.of(count(ctx.input(0).size()));
  }

  private static Tensor count(long n) {
    return Tensor.ofLongs(new long[0], n);
  }
}
