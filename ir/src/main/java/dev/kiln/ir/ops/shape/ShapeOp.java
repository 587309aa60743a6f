package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.List;
import java.util.Optional;

/**
 * ONNX {@code Shape} (opset 15): the dims of input 0 from {@code start} (default 0) to {@code end}
 * (default the rank) as a 1-D i64 tensor. Negative bounds count from the end; both are clamped to
 * {@code [0, rank]}. Its value is known at compile time whenever those dims are static, which is
 * what resolves exported {@code Shape -> Gather -> Concat -> Reshape} chains.
 */
final class ShapeOp extends OpSchema {
  static final ShapeOp INSTANCE = new ShapeOp();

  private ShapeOp() {
    super(
        "Shape",
        1,
        1,
        1,
        1,
        List.of(
            AttrSpec.optional("end", AttributeKind.INT),
            AttrSpec.optional("start", Attribute.of(0L))));
  }

  @Override
  public boolean outputsDependOnInputTypesOnly() {
    return true;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    List<Dim> dims = selected(ctx, ctx.type(0).shape());
    return List.of(TensorType.of(DType.I64, dims.size()));
  }

  /** The dims between start and end. */
  private static List<Dim> selected(InferenceContext ctx, Shape shape) {
    int rank = shape.rank();
    long start = clamp(ctx.attrs().getInt("start", 0), rank);
    long end = clamp(ctx.attrs().getInt("end", rank), rank);
    return start < end ? shape.dims().subList((int) start, (int) end) : List.of();
  }

  private static long clamp(long bound, int rank) {
    long b = bound < 0 ? bound + rank : bound;
    return Math.max(0, Math.min(rank, b));
  }

  @Override
  public Optional<List<Tensor>> foldWithoutConstants(InferenceContext ctx) {
    Shape dims = Shape.of(selected(ctx, ctx.type(0).shape()));
    return dims.isStatic()
        ? Optional.of(List.of(Tensor.ofLongs(new long[] {dims.rank()}, dims.toLongArray())))
        : Optional.empty();
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Shape dims = Shape.of(selected(Layout.asInference(ctx), ctx.input(0).type().shape()));
    return List.of(Tensor.ofLongs(new long[] {dims.rank()}, dims.toLongArray()));
  }
}
