package dev.kiln.ir.op;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * A test-only broadcasting addition under any name, so that tests of the verifier, the parsers and
 * the interpreter need none of the real operators. Shared with other modules' tests through
 * kiln-ir's test-jar.
 */
public final class BroadcastAddTestOp extends OpSchema {
  public BroadcastAddTestOp(String name) {
    this(name, List.of());
  }

  public BroadcastAddTestOp(String name, List<AttrSpec> attrs) {
    super(name, 2, 2, 1, 1, attrs);
  }

  @Override
  public List<TensorType> inferTypes(InferenceContext ctx) {
    ctx.requireSameDType(0, 1);
    return List.of(new TensorType(ctx.type(0).dtype(),
        Shapes.broadcast(ctx.type(0).shape(), ctx.type(1).shape())));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx) {
    Tensor a = ctx.input(0);
    Tensor b = ctx.input(1);
    long[] shape = Shapes.broadcast(a.shape(), b.shape());
    TensorWriter w = TensorWriter.of(a.dtype(), shape);
    for (long i = 0; i < w.size(); i++) {
      w.setDouble(i, a.getDouble(Shapes.broadcastIndex(i, shape, a.shape()))
          + b.getDouble(Shapes.broadcastIndex(i, shape, b.shape())));
    }
    return List.of(w.build());
  }
}
