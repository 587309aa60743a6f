package dev.kiln.passes.lower;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Node;
import java.util.List;

/** Lowering contexts for tests of lowering building blocks outside a graph. */
public final class TestLowering {
  private TestLowering() {}

  /** A context of a node without inputs or outputs, for lowerings that take their buffers elsewhere. */
  public static LoweringContext context(String op) {
    return new LoweringContext(new Node("n", op, ImmutableList.of(), ImmutableList.of(), Attributes.EMPTY),
        List.of(), List.of(), List.of(), hint -> hint);
  }
}
