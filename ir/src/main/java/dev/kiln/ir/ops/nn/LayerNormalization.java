package dev.kiln.ir.ops.nn;

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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * ONNX {@code LayerNormalization} (opset 17): normalizes X over the dims {@code axis .. rank - 1}
 * (default -1: the last dim) to mean 0 and variance 1 (the biased variance, with
 * {@code epsilon} added), then multiplies by Scale and adds the optional B, both broadcast to X.
 * The optional outputs Mean and InvStdDev have X's shape with the normalized dims kept as 1 and
 * the element type {@code stash_type} (an ONNX type code, default 1 = f32). Statistics are
 * computed in double whatever the stash type; the stash type only sets the outputs' type.
 */
final class LayerNormalization extends OpSchema {
  static final LayerNormalization INSTANCE = new LayerNormalization();

  private LayerNormalization() {
    super(
        "LayerNormalization",
        2,
        3,
        1,
        3,
        List.of(
            AttrSpec.optional("axis", Attribute.of(-1L)),
            AttrSpec.optional("epsilon", Attribute.of(1e-5f)),
            AttrSpec.optional("stash_type", Attribute.of(1L))));
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.requireDType(0, DType.F16, DType.BF16, DType.F32, DType.F64);
    int axis = Shapes.normalizeAxis(ctx.attrs().getInt("axis", -1), x.rank(), "attribute 'axis'");
    DType stash = stashType(ctx.attrs().getInt("stash_type", 1));
    requireBroadcastsTo(ctx, 1, "Scale", x);
    if (ctx.hasInput(2)) {
      requireBroadcastsTo(ctx, 2, "B", x);
    }
    List<TensorType> out = new ArrayList<>(List.of(x));
    List<Dim> statistics = new ArrayList<>(x.shape().dims().subList(0, axis));
    for (int i = axis; i < x.rank(); i++) {
      statistics.add(Dim.of(1));
    }
    for (int i = 1; i < ctx.outputCount(); i++) {
      out.add(new TensorType(stash, Shape.of(statistics)));
    }
    return out;
  }

  private static DType stashType(long code) {
    Optional<DType> t = DType.fromOnnxCode((int) code);
    if (t.isEmpty() || !t.get().isFloating() || code != (int) code) {
      throw OpException.of(
          "attribute 'stash_type' must be the ONNX code of a floating-point type (1 for f32),"
              + " got %d",
          code);
    }
    return t.get();
  }

  /** ONNX unidirectional broadcasting: the parameter may be smaller than X but never grows it. */
  private static void requireBroadcastsTo(
      InferenceContext ctx, int input, String name, TensorType x) {
    TensorType t = ctx.type(input);
    ctx.requireSameDType(0, input);
    boolean fits = t.rank() <= x.rank();
    for (int i = 0; fits && i < t.rank(); i++) {
      Dim d = t.shape().dim(i);
      Dim target = x.shape().dim(x.rank() - t.rank() + i);
      boolean one = d.isKnown() && d.size() == 1;
      fits = one || !d.isKnown() || !target.isKnown() || d.size() == target.size();
    }
    if (!fits) {
      throw OpException.of(
          "input %d (%s) %s does not broadcast to the shape of input 0 (X) %s", input, name, t, x);
    }
  }

  private static void requireBroadcastsTo(Tensor t, int input, String name, Tensor x) {
    long[] shape = t.shape();
    boolean fits = shape.length <= x.rank();
    for (int i = 0; fits && i < shape.length; i++) {
      long target = x.dim(x.rank() - shape.length + i);
      fits = shape[i] == 1 || shape[i] == target;
    }
    if (!fits) {
      throw OpException.of(
          "input %d (%s) %s does not broadcast to the shape of input 0 (X) %s",
          input, name, t.type(), x.type());
    }
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor x = ctx.input(0);
    Tensor scale = ctx.input(1);
    Optional<Tensor> bias = ctx.optionalInput(2);
    long[] shape = x.shape();
    int axis = Shapes.normalizeAxis(ctx.attrs().getInt("axis", -1), x.rank(), "attribute 'axis'");
    double epsilon = ctx.attrs().getFloat("epsilon", 1e-5f);
    DType stash = stashType(ctx.attrs().getInt("stash_type", 1));
    long inner = Shapes.size(Arrays.copyOfRange(shape, axis, shape.length));
    long outer = Shapes.size(Arrays.copyOfRange(shape, 0, axis));
    long[] statisticsShape = shape.clone();
    Arrays.fill(statisticsShape, axis, shape.length, 1);
    long[] scaleShape = scale.shape();
    long[] biasShape = bias.map(Tensor::shape).orElse(new long[0]);
    // Symbolic dims are bound only now: check what inference could not.
    requireBroadcastsTo(scale, 1, "Scale", x);
    if (bias.isPresent()) {
      requireBroadcastsTo(bias.get(), 2, "B", x);
    }
    TensorWriter y = TensorWriter.of(x.dtype(), shape);
    TensorWriter means = TensorWriter.of(stash, statisticsShape);
    TensorWriter invStdDevs = TensorWriter.of(stash, statisticsShape);
    for (long o = 0; o < outer; o++) {
      long base = o * inner;
      Moments moments = Moments.of(x, base, inner, epsilon);
      for (long i = 0; i < inner; i++) {
        long at = base + i;
        double v = moments.normalize(x.getDouble(at));
        v *= scale.getDouble(Shapes.broadcastIndex(at, shape, scaleShape));
        if (bias.isPresent()) {
          v += bias.get().getDouble(Shapes.broadcastIndex(at, shape, biasShape));
        }
        y.setDouble(at, v);
      }
      means.setDouble(o, moments.mean());
      invStdDevs.setDouble(o, moments.invStdDev());
    }
    List<Tensor> out = new ArrayList<>(List.of(y.build()));
    if (ctx.outputCount() > 1) {
      out.add(means.build());
    }
    if (ctx.outputCount() > 2) {
      out.add(invStdDevs.build());
    }
    return out;
  }
}
