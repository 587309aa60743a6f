package dev.kiln.runtime.interpreter;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.BroadcastAddTestOp;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.TensorType;
import java.util.List;

/**
 * Tiny operators for interpreter tests, so that they need none of the real ones (which are
 * written separately); each is obviously correct or obviously broken on purpose.
 */
final class TestOps {
  private TestOps() {}

  static final OpRegistry REGISTRY = OpRegistry.standard().plus(List.of(
      new BroadcastAddTestOp("TestAdd"), new TestRelu(), new TestSplitSign(), new TestPositive(),
      new TestGrow(), new TestBuggy()));

  /** Unary base: output type = input type, each element mapped. */
  abstract static class Unary extends OpSchema {
    Unary(String name, int outputs, List<AttrSpec> attrs) {
      super(name, 1, 1, outputs, outputs, attrs);
    }

    @Override
    public List<TensorType> inferTypes(InferenceContext ctx) {
      return java.util.Collections.nCopies(ctx.outputCount(), ctx.type(0));
    }

    static Tensor map(Tensor x, java.util.function.DoubleUnaryOperator f) {
      TensorWriter w = TensorWriter.of(x.dtype(), x.shape());
      for (long i = 0; i < x.size(); i++) {
        w.setDouble(i, f.applyAsDouble(x.getDouble(i)));
      }
      return w.build();
    }
  }

  static final class TestRelu extends Unary {
    TestRelu() {
      super("TestRelu", 1, List.of());
    }

    @Override
    public List<Tensor> evaluate(EvalContext ctx) {
      return List.of(map(ctx.input(0), v -> Math.max(v, 0)));
    }
  }

  /** Two outputs: the positive part and the negative part. */
  static final class TestSplitSign extends Unary {
    TestSplitSign() {
      super("TestSplitSign", 2, List.of());
    }

    @Override
    public List<Tensor> evaluate(EvalContext ctx) {
      return List.of(map(ctx.input(0), v -> Math.max(v, 0)), map(ctx.input(0), v -> Math.min(v, 0)));
    }
  }

  /** Identity that rejects negative elements at run time, like an operator checking its data. */
  static final class TestPositive extends Unary {
    TestPositive() {
      super("TestPositive", 1, List.of());
    }

    @Override
    public List<Tensor> evaluate(EvalContext ctx) {
      Tensor x = ctx.input(0);
      for (long i = 0; i < x.size(); i++) {
        if (x.getDouble(i) < 0) {
          throw OpException.of("input 0 must be positive, got %s at element %d", x.getDouble(i), i);
        }
      }
      return List.of(x);
    }
  }

  /** Broken on purpose: its result has one more row or column ('axis') than inference says. */
  static final class TestGrow extends Unary {
    TestGrow() {
      super("TestGrow", 1, List.of(AttrSpec.optional("axis", Attribute.of(0L))));
    }

    @Override
    public List<Tensor> evaluate(EvalContext ctx) {
      long[] shape = ctx.input(0).shape();
      shape[(int) ctx.attrs().getInt("axis", 0)]++;
      return List.of(Tensor.zeros(ctx.input(0).dtype(), shape));
    }
  }

  /** Broken on purpose: fails with an exception that is not an OpException. */
  static final class TestBuggy extends Unary {
    TestBuggy() {
      super("TestBuggy", 1, List.of());
    }

    @Override
    public List<Tensor> evaluate(EvalContext ctx) {
      int zero = (int) ctx.input(0).size() * 0;
      return List.of(Tensor.scalar(ctx.input(0).dtype(), 1 / zero));
    }
  }
}
