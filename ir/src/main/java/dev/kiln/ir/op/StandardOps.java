package dev.kiln.ir.op;

import dev.kiln.ir.ops.elementwise.ElementwiseOps;
import dev.kiln.ir.ops.layout.LayoutOps;
import dev.kiln.ir.ops.linalg.LinalgOps;
import dev.kiln.ir.ops.nn.NnOps;
import dev.kiln.ir.ops.reduce.ReduceOps;
import dev.kiln.ir.ops.shape.ShapeOps;
import java.util.ArrayList;
import java.util.List;

/** The built-in operator families. A new family adds one line here. */
final class StandardOps {
  private StandardOps() {}

  static List<OpSchema> all() {
    List<OpSchema> all = new ArrayList<>();
    all.addAll(ElementwiseOps.all());
    all.addAll(LinalgOps.all());
    all.addAll(NnOps.all());
    all.addAll(LayoutOps.all());
    all.addAll(ReduceOps.all());
    all.addAll(ShapeOps.all());
    return all;
  }
}
