package dev.kiln.ir.ops.layout;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.ops.elementwise.Epilogue;
import dev.kiln.ir.ops.nn.NnOps;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * The NCHWc layout's arithmetic, shared by its operators: types of blocked tensors, and the
 * reorders between layouts on reference tensors (which every blocked operator's reference
 * semantics use around the NCHW operator's).
 */
public final class Blocked {
  private Blocked() {}

  /** The lanes per channel block when {@code channels_block} is absent: 16 f32 lanes of AVX-512. */
  public static final long DEFAULT_BLOCK = 16;

  /** The attribute every operator producing a blocked tensor takes. */
  static final AttrSpec BLOCK_ATTRIBUTE =
      AttrSpec.optional("channels_block", Attribute.of(DEFAULT_BLOCK));

  /** {@code channels_block}, checked positive. */
  public static long block(Attributes attrs) {
    long b = attrs.getInt("channels_block", DEFAULT_BLOCK);
    if (b <= 0) {
      throw OpException.of("attribute 'channels_block' must be positive, got %d", b);
    }
    return b;
  }

  /** The number of blocks that hold {@code channels} channels. */
  static Dim blocks(Dim channels, long block) {
    return channels.isKnown() ? Dim.of(Math.ceilDiv(channels.size(), block)) : Dim.UNKNOWN;
  }

  /** {@code [N, ceil(C/b), H, W, b]} for an NCHW type. */
  public static TensorType blockedType(TensorType nchw, long block) {
    Shape s = nchw.shape();
    return new TensorType(nchw.dtype(), Shape.of(s.dim(0), blocks(s.dim(1), block), s.dim(2),
        s.dim(3), Dim.of(block)));
  }

  /**
   * Input {@code input} ({@code role}) as a blocked f32 tensor {@code [N, Cb, H, W, b]}; with
   * {@code block > 0}, b must be that.
   */
  static TensorType requireBlocked(TensorType t, int input, String role, long block) {
    Dim lanes = t.rank() == 5 ? t.shape().dim(4) : null;
    if (t.dtype() != DType.F32 || lanes == null || (block > 0 && lanes.isKnown() && lanes.size() != block)) {
      throw OpException.of("input %d (%s) must be a blocked f32 tensor [N, C/%s, H, W, %s], got %s",
          input, role, block > 0 ? block : "b", block > 0 ? block : "b", t);
    }
    if (block <= 0 && !lanes.isKnown()) {
      throw OpException.of("input %d (%s) %s: the lane count (last dim) must be known", input, role, t);
    }
    return t;
  }

  /** The lanes of a checked blocked type. */
  static long lanes(TensorType blocked) {
    return blocked.shape().dim(4).size();
  }

  /**
   * Checks a logical channel count against a blocked type's block count:
   * {@code (Cb - 1) * b < C <= Cb * b}.
   */
  static void checkChannels(long channels, Dim blocks, long block, String what) {
    if (channels <= 0) {
      throw OpException.of("attribute 'channels' must be positive, got %d", channels);
    }
    if (blocks.isKnown() && Math.ceilDiv(channels, block) != blocks.size()) {
      throw OpException.of("%s has %s blocks of %d lanes, which hold %d to %d channels, not %d",
          what, blocks, block, (blocks.size() - 1) * block + 1, blocks.size() * block, channels);
    }
  }

  /** {@code [N, C, H, W]} of a blocked type with {@code channels} logical channels. */
  static TensorType logicalType(TensorType blocked, Dim channels) {
    Shape s = blocked.shape();
    return new TensorType(blocked.dtype(), Shape.of(s.dim(0), channels, s.dim(2), s.dim(3)));
  }

  /** The NCHW tensor {@code nchw} in blocks of {@code block} lanes, the lanes past C zero. */
  public static Tensor block(Tensor nchw, long block) {
    long n = nchw.dim(0);
    long c = nchw.dim(1);
    long plane = nchw.dim(2) * nchw.dim(3);
    long blocks = Math.ceilDiv(c, block);
    TensorWriter out =
        TensorWriter.of(nchw.dtype(), n, blocks, nchw.dim(2), nchw.dim(3), block);
    for (long i = 0; i < n; i++) {
      for (long ch = 0; ch < c; ch++) {
        for (long p = 0; p < plane; p++) {
          long to = ((i * blocks + ch / block) * plane + p) * block + ch % block;
          out.copyElement(nchw, (i * c + ch) * plane + p, to);
        }
      }
    }
    return out.build();
  }

  /** The first {@code channels} channels of the blocked tensor, as NCHW. */
  public static Tensor unblock(Tensor blocked, long channels) {
    long n = blocked.dim(0);
    long blocks = blocked.dim(1);
    long block = blocked.dim(4);
    long plane = blocked.dim(2) * blocked.dim(3);
    TensorWriter out = TensorWriter.of(blocked.dtype(), n, channels, blocked.dim(2), blocked.dim(3));
    for (long i = 0; i < n; i++) {
      for (long ch = 0; ch < channels; ch++) {
        for (long p = 0; p < plane; p++) {
          long from = ((i * blocks + ch / block) * plane + p) * block + ch % block;
          out.copyElement(blocked, from, (i * channels + ch) * plane + p);
        }
      }
    }
    return out.build();
  }

  /** Whether {@code act(0) == 0} for this epilogue's activation, so zero lanes stay zero. */
  public static boolean keepsZero(Epilogue e) {
    if (e.activation().isEmpty()) {
      return true;
    }
    return switch (e.activation().get()) {
      case "Relu", "Tanh", "LeakyRelu", "Gelu", "FastGelu" -> true;
      case "Clip" -> e.params().get(0) <= 0 && e.params().get(1) >= 0;
      default -> false;
    };
  }

  /** The NCHW operator {@code name} (Conv, FusedConv, MaxPool, ...), whose semantics are reused. */
  static OpSchema nn(String name) {
    return NnOps.all().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  /** {@code attrs} without the layout's own attributes, for the NCHW operator. */
  static Attributes without(Attributes attrs, List<String> names) {
    Attributes.Builder b = attrs.toBuilder();
    names.forEach(b::remove);
    return b.build();
  }
}
