package dev.kiln.ir.ops.shape;

import dev.kiln.ir.op.OpSchema;
import java.util.List;

/**
 * The operators that move, reshape, slice and build tensors. Their shape inference resolves the
 * shape arithmetic of exported models ({@code Shape -> Gather -> Unsqueeze -> Concat -> Reshape})
 * to static shapes whenever the shape-carrying inputs are known at compile time.
 */
public final class ShapeOps {
  private ShapeOps() {}

  /** Every operator of this family, for the standard registry. */
  public static List<OpSchema> all() {
    return List.of(
        ConcatOp.INSTANCE,
        ConstantOp.INSTANCE,
        ConstantOfShapeOp.INSTANCE,
        SpaceDepthOp.DEPTH_TO_SPACE,
        ExpandOp.INSTANCE,
        EyeLikeOp.INSTANCE,
        FlattenOp.INSTANCE,
        GatherOp.INSTANCE,
        GatherElementsOp.INSTANCE,
        GatherNdOp.INSTANCE,
        OneHotOp.INSTANCE,
        PadOp.INSTANCE,
        RangeOp.INSTANCE,
        ReshapeOp.INSTANCE,
        ReverseSequenceOp.INSTANCE,
        ScatterElementsOp.INSTANCE,
        ScatterNdOp.INSTANCE,
        ShapeOp.INSTANCE,
        SizeOp.INSTANCE,
        SliceOp.INSTANCE,
        SpaceDepthOp.SPACE_TO_DEPTH,
        SplitOp.INSTANCE,
        SqueezeOp.INSTANCE,
        TileOp.INSTANCE,
        TransposeOp.INSTANCE,
        TriluOp.INSTANCE,
        UnsqueezeOp.INSTANCE);
  }
}
