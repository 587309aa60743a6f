package dev.kiln.ir.ops.layout;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.List;
import java.util.Optional;

/**
 * Kiln's {@code NchwcMaxPool}, {@code NchwcAveragePool} and {@code NchwcGlobalAveragePool} (as ONNX
 * Runtime's {@code com.microsoft.nchwc.*Pool}): 2-D pooling of a blocked tensor
 * {@code [N, Cb, H, W, b]} into a blocked tensor, with the NCHW operator's attributes (MaxPool's
 * without {@code storage_order}: one output) plus {@code channels_block}. Every lane is pooled
 * as a channel of its own, so zero lanes past the last channel stay zero (the maximum or mean of
 * zeros) and the operator needs no channel count.
 */
final class NchwcPool extends OpSchema {
  static final NchwcPool MAX = new NchwcPool("NchwcMaxPool", "MaxPool");
  static final NchwcPool AVERAGE = new NchwcPool("NchwcAveragePool", "AveragePool");
  static final NchwcPool GLOBAL_AVERAGE =
      new NchwcPool("NchwcGlobalAveragePool", "GlobalAveragePool");

  private static final List<String> OWN = List.of("channels_block");

  private final String nchw;

  private NchwcPool(String name, String nchw) {
    super(name, 1, 1, 1, 1, ImmutableList.<AttrSpec>builder()
        .addAll(Blocked.nn(nchw).attributes().stream()
            .filter(a -> !a.name().equals("storage_order")).toList())
        .add(Blocked.BLOCK_ATTRIBUTE)
        .build());
    this.nchw = nchw;
  }

  /** The NCHW pooling whose semantics this one has per lane. */
  public String nchwOperator() {
    return nchw;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    long block = Blocked.block(ctx.attrs());
    TensorType x = Blocked.requireBlocked(ctx.type(0), 0, "X", block);
    Dim c = x.shape().dim(1).isKnown() ? Dim.of(x.shape().dim(1).size() * block) : Dim.UNKNOWN;
    TensorType logical = Blocked.nn(nchw).inferTypes(new InferenceContext(nchw,
        Blocked.without(ctx.attrs(), OWN), ImmutableList.of(Optional.of(Blocked.logicalType(x, c))),
        ImmutableList.of(Optional.empty()), 1)).get(0);
    return List.of(Blocked.blockedType(logical, block));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    long block = Blocked.block(ctx.attrs());
    Tensor x = ctx.input(0);
    Blocked.requireBlocked(x.type(), 0, "X", block);
    Tensor logical = Blocked.unblock(x, x.dim(1) * block);
    Tensor y = Blocked.nn(nchw).evaluate(new EvalContext(nchw, Blocked.without(ctx.attrs(), OWN),
        ImmutableList.of(Optional.of(logical)), 1)).get(0);
    return List.of(Blocked.block(y, block));
  }
}
