package dev.kiln.ir.ops.shape;

import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.type.DType;
import java.util.Optional;

/**
 * The {@code axes} of Squeeze, Unsqueeze and Pad: input {@code index} since opset 13 (18 for Pad),
 * an attribute before. At most one of the two may be given.
 *
 * @param given whether axes were given at all
 * @param values the axes, when known at compile time
 * @param count how many axes there are, or -1 when that is not known
 * @param source where they came from, for messages
 */
record AxesArgument(boolean given, Optional<long[]> values, int count, String source) {

  /**
   * @param attributeAllowed whether an older opset's {@code axes} attribute may stand in
   * @param types the integer types the axes input may have
   */
  static AxesArgument of(
      InferenceContext ctx, int index, boolean attributeAllowed, DType... types) {
    boolean input = ctx.hasInput(index);
    boolean attribute = attributeAllowed && ctx.attrs().has("axes");
    if (input && attribute) {
      throw OpException.of(
          "give the axes either as input %d (axes) or attribute 'axes', not both", index);
    }
    if (input) {
      String source = "input " + index + " (axes)";
      int count = IntInputs.length1D(ctx, index, "axes", types);
      Optional<long[]> values = IntInputs.values(ctx, index);
      return new AxesArgument(true, values, values.map(v -> v.length).orElse(count), source);
    }
    if (attribute) {
      long[] values = ctx.attrs().getInts("axes").orElseThrow();
      return new AxesArgument(true, Optional.of(values), values.length, "attribute 'axes'");
    }
    return new AxesArgument(false, Optional.empty(), -1, "axes");
  }
}
