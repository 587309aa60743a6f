package dev.kiln.ir.ops.shape;

import dev.kiln.ir.graph.Attribute;
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
import java.util.List;

/**
 * ONNX {@code DepthToSpace} (opset 13) and {@code SpaceToDepth} (opset 13) on NCHW tensors, each
 * defined by the spec as reshape, transpose, reshape. DepthToSpace moves channel blocks into
 * {@code blocksize x blocksize} spatial blocks, in mode {@code DCR} (depth-column-row, the
 * default) or {@code CRD}; SpaceToDepth is the inverse of DCR.
 */
final class SpaceDepthOp extends OpSchema {
  static final SpaceDepthOp DEPTH_TO_SPACE = new SpaceDepthOp("DepthToSpace", true);
  static final SpaceDepthOp SPACE_TO_DEPTH = new SpaceDepthOp("SpaceToDepth", false);

  private final boolean toSpace;

  private SpaceDepthOp(String name, boolean toSpace) {
    super(name, 1, 1, 1, 1, toSpace
        ? List.of(
            AttrSpec.required("blocksize", AttributeKind.INT),
            AttrSpec.optional("mode", Attribute.of("DCR")))
        : List.of(AttrSpec.required("blocksize", AttributeKind.INT)));
    this.toSpace = toSpace;
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    TensorType x = ctx.type(0);
    long b = blocksize(ctx);
    mode(ctx);
    if (x.rank() != 4) {
      throw OpException.of("input 0 must be a 4-D NCHW tensor, got %s", x);
    }
    Shape s = x.shape();
    Dim c = s.dim(1);
    Dim h = s.dim(2);
    Dim w = s.dim(3);
    Shape out = toSpace
        ? Shape.of(s.dim(0), divide(c, b * b, "channel", x), times(h, b), times(w, b))
        : Shape.of(s.dim(0), times(c, b * b), divide(h, b, "height", x), divide(w, b, "width", x));
    return List.of(new TensorType(x.dtype(), out));
  }

  private static long blocksize(InferenceContext ctx) {
    long b = ctx.attrs().getInt("blocksize", 0);
    if (b < 1) {
      throw OpException.of("attribute 'blocksize' must be >= 1, got %d", b);
    }
    return b;
  }

  private String mode(InferenceContext ctx) {
    String mode = ctx.attrs().getString("mode", "DCR");
    if (!mode.equals("DCR") && !mode.equals("CRD")) {
      throw OpException.of("attribute 'mode' must be DCR or CRD, got '%s'", mode);
    }
    return mode;
  }

  private static Dim times(Dim d, long factor) {
    return DimMath.product(List.of(d, Dim.of(factor)));
  }

  private static Dim divide(Dim d, long divisor, String what, TensorType x) {
    if (!(d instanceof Dim.Known k)) {
      return Dim.UNKNOWN;
    }
    if (k.size() % divisor != 0) {
      throw OpException.of(
          "the %s dimension of input 0 %s must be a multiple of %d (blocksize%s)",
          what, x, divisor, what.equals("channel") ? " squared" : "");
    }
    return Dim.of(k.size() / divisor);
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    InferenceContext ic = Layout.asInference(ctx);
    long[] out = Layout.sizes(inferTypes(ic).get(0));
    long b = blocksize(ic);
    Tensor x = ctx.input(0);
    long n = x.dim(0);
    long c = x.dim(1);
    long h = x.dim(2);
    long w = x.dim(3);
    Tensor blocks;
    if (!toSpace) {
      blocks = Layout.permute(x.reshape(n, c, h / b, b, w / b, b), new int[] {0, 3, 5, 1, 2, 4});
    } else if (mode(ic).equals("DCR")) {
      blocks = Layout.permute(x.reshape(n, b, b, c / (b * b), h, w), new int[] {0, 3, 4, 1, 5, 2});
    } else {
      blocks = Layout.permute(x.reshape(n, c / (b * b), b, b, h, w), new int[] {0, 1, 4, 2, 5, 3});
    }
    return List.of(blocks.reshape(out));
  }
}
