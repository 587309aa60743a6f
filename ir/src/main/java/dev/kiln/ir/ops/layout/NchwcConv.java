package dev.kiln.ir.ops.layout;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.ops.elementwise.Epilogue;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Kiln's {@code NchwcConv} (as ONNX Runtime's {@code com.microsoft.nchwc.Conv}): a 2-D
 * {@code FusedConv} in the blocked layout. Inputs X {@code [N, ceil(C/b), H, W, b]}, W
 * {@code [M, C/group, KH, KW]} in ONNX's order (not blocked), B? {@code [M]}, Z?
 * {@code [N, ceil(M/b), OH, OW, b]}; output Y of Z's shape, {@code Y = act(conv(X, W) + B + Z)}
 * with the lanes past M zero. X may also be plain NCHW {@code [N, C, H, W]} for a dense
 * convolution (the first one of an image network, C = 3, whose input is not worth blocking:
 * MLAS's "NCHW in, NCHWc out" kernel). Attributes: Conv's, the epilogue's ({@code activation},
 * {@code activation_params}, whose activation must map 0 to 0 so that zero lanes stay zero),
 * {@code channels_block} (b) and {@code channels} (C, X's logical channel count). Dense
 * ({@code group} 1) or depthwise ({@code group == C == M}) only.
 */
final class NchwcConv extends OpSchema {
  static final NchwcConv INSTANCE = new NchwcConv();

  private static final OpSchema FUSED_CONV = Blocked.nn("FusedConv");
  private static final List<String> OWN = List.of("channels_block", "channels");

  private NchwcConv() {
    super("NchwcConv", 2, 4, 1, 1, ImmutableList.<AttrSpec>builder()
        .addAll(Blocked.nn("FusedConv").attributes())
        .add(Blocked.BLOCK_ATTRIBUTE)
        .add(AttrSpec.required("channels", AttributeKind.INT))
        .build());
  }

  /** The checked logical input channels C and the group. */
  private static long[] check(Attributes attrs, TensorType x, TensorType w, long block) {
    long c = attrs.getInt("channels", 0);
    if (!attrs.has("channels")) {
      throw OpException.of("attribute 'channels' is required");
    }
    if (nchw(x)) {
      if (c <= 0 || (x.shape().dim(1).isKnown() && x.shape().dim(1).size() != c)) {
        throw OpException.of("attribute 'channels' (%d) must be the channel count of the NCHW input 0 (X) %s",
            c, x);
      }
      if (attrs.getInt("group", 1) != 1) {
        throw OpException.of("an NCHW input 0 (X) %s takes a dense convolution (group 1), got group %d", x,
            attrs.getInt("group", 1));
      }
    } else {
      Blocked.checkChannels(c, x.shape().dim(1), block, "input 0 (X) " + x);
    }
    if (w.rank() != 4) {
      throw OpException.of("input 1 (W) must be [M, C/group, KH, KW] (NchwcConv is 2-D), got %s", w);
    }
    long group = attrs.getInt("group", 1);
    Dim m = w.shape().dim(0);
    if (group != 1 && (group != c || (m.isKnown() && m.size() != c))) {
      throw OpException.of("group %d: NchwcConv is dense (group 1) or depthwise (group = channels"
          + " = output channels = %d), and W is %s", group, c, w);
    }
    Epilogue e = Epilogue.of(attrs);
    if (!Blocked.keepsZero(e)) {
      throw OpException.of("activation %s %s does not map 0 to 0, so it would not keep the zero"
          + " lanes past the last channel zero", e.activation().get(), e.params());
    }
    return new long[] {c, group};
  }

  /** Whether X is plain NCHW f32 (4-D) rather than blocked. */
  private static boolean nchw(TensorType x) {
    return x.rank() == 4 && x.dtype() == dev.kiln.ir.type.DType.F32;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    long block = Blocked.block(ctx.attrs());
    TensorType x = nchw(ctx.type(0)) ? ctx.type(0) : Blocked.requireBlocked(ctx.type(0), 0, "X", block);
    long c = check(ctx.attrs(), x, ctx.type(1), block)[0];
    List<Optional<TensorType>> types = new ArrayList<>();
    types.add(Optional.of(nchw(x) ? x : Blocked.logicalType(x, Dim.of(c))));
    types.add(ctx.optionalType(1));
    types.add(ctx.optionalType(2));
    List<Optional<Tensor>> constants = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      constants.add(i == 0 ? Optional.empty() : ctx.constant(i));
    }
    TensorType logical = FUSED_CONV.inferTypes(new InferenceContext("FusedConv",
        Blocked.without(ctx.attrs(), OWN), ImmutableList.copyOf(types),
        ImmutableList.copyOf(constants), 1)).get(0);
    TensorType y = Blocked.blockedType(logical, block);
    if (ctx.hasInput(3)) {
      TensorType z = ctx.type(3);
      boolean fits = z.dtype() == y.dtype() && z.rank() == 5;
      for (int d = 0; fits && d < 5; d++) {
        Dim a = z.shape().dim(d);
        Dim b = y.shape().dim(d);
        fits = !a.isKnown() || !b.isKnown() || a.size() == b.size();
      }
      if (!fits) {
        throw OpException.of("input 3 (Z) %s must have the type of the output %s", z, y);
      }
    }
    return List.of(y);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    long block = Blocked.block(ctx.attrs());
    Tensor x = ctx.input(0);
    Tensor w = ctx.input(1);
    boolean nchw = nchw(x.type());
    long c = check(ctx.attrs(), nchw ? x.type() : Blocked.requireBlocked(x.type(), 0, "X", block), w.type(),
        block)[0];
    long m = w.dim(0);
    List<Optional<Tensor>> inputs = new ArrayList<>();
    inputs.add(Optional.of(nchw ? x : Blocked.unblock(x, c)));
    inputs.add(Optional.of(w));
    inputs.add(ctx.optionalInput(2));
    if (ctx.hasInput(3)) {
      Tensor z = ctx.input(3);
      Blocked.requireBlocked(z.type(), 3, "Z", block);
      Blocked.checkChannels(m, Dim.of(z.dim(1)), block, "input 3 (Z) " + z.type());
      inputs.add(Optional.of(Blocked.unblock(z, m)));
    }
    Tensor y = FUSED_CONV.evaluate(new EvalContext("FusedConv", Blocked.without(ctx.attrs(), OWN),
        ImmutableList.copyOf(inputs), 1)).get(0);
    return List.of(Blocked.block(y, block));
  }
}
