package dev.kiln.frontend.kiln;

import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.BroadcastAddTestOp;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.InferenceContext;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Small operators for parser tests, so that the frontend is tested independently of the real
 * operator families. Names are prefixed with {@code T} where a real operator of the same name
 * exists, so that the registry stays free of clashes once those land.
 */
final class TestOps {
  private TestOps() {}

  static final OpRegistry REGISTRY =
      OpRegistry.standard().plus(List.of(new Unary("TRelu"), new BroadcastAddTestOp("TAdd"),
          new TSplit(), new TClip(), new TScale(), new TShape(), new TReshape(),
          new TEverything()));

  /** One input, one output of the same type. */
  static final class Unary extends OpSchema {
    Unary(String name) {
      super(name, 1, 1, 1, 1, List.of());
    }

    @Override
    public List<TensorType> inferTypes(InferenceContext ctx) {
      return List.of(ctx.type(0));
    }

    @Override
    public List<Tensor> evaluate(EvalContext ctx) {
      Tensor x = ctx.input(0);
      TensorWriter w = TensorWriter.of(x.dtype(), x.shape());
      for (long i = 0; i < x.size(); i++) {
        w.setDouble(i, Math.max(0, x.getDouble(i)));
      }
      return List.of(w.build());
    }
  }

  /** Splits evenly along a required axis into as many outputs as the node defines. */
  static final class TSplit extends OpSchema {
    TSplit() {
      super("TSplit", 1, 1, 1, VARIADIC, List.of(AttrSpec.required("axis", AttributeKind.INT)));
    }

    @Override
    public List<TensorType> inferTypes(InferenceContext ctx) {
      TensorType t = ctx.type(0);
      int axis = Shapes.normalizeAxis(ctx.attrs().getInt("axis", 0), t.rank(), "attribute 'axis'");
      Dim d = t.shape().dim(axis);
      Dim part = Dim.UNKNOWN;
      if (d.isKnown()) {
        if (d.size() % ctx.outputCount() != 0) {
          throw OpException.of("cannot split %s evenly into %d parts", d, ctx.outputCount());
        }
        part = Dim.of(d.size() / ctx.outputCount());
      }
      List<Dim> dims = new ArrayList<>(t.shape().dims());
      dims.set(axis, part);
      List<TensorType> out = new ArrayList<>();
      for (int i = 0; i < ctx.outputCount(); i++) {
        out.add(new TensorType(t.dtype(), Shape.of(dims)));
      }
      return out;
    }

    @Override
    public List<Tensor> evaluate(EvalContext ctx) {
      // Only reached when the input is a constant; no parser test splits one.
      throw new UnsupportedOperationException("TSplit does not fold");
    }
  }

  /** An optional-input operator, like ONNX Clip(x, min?, max?). */
  static final class TClip extends OpSchema {
    TClip() {
      super("TClip", 1, 3, 1, 1, List.of());
    }

    @Override
    public List<TensorType> inferTypes(InferenceContext ctx) {
      for (int i = 1; i < ctx.inputCount(); i++) {
        if (ctx.hasInput(i) && ctx.type(i).rank() != 0) {
          throw OpException.of("input %d must be a scalar, got %s", i, ctx.type(i));
        }
      }
      return List.of(ctx.type(0));
    }

    @Override
    public List<Tensor> evaluate(EvalContext ctx) {
      Tensor x = ctx.input(0);
      double lo = ctx.optionalInput(1).map(t -> t.getDouble(0)).orElse(Double.NEGATIVE_INFINITY);
      double hi = ctx.optionalInput(2).map(t -> t.getDouble(0)).orElse(Double.POSITIVE_INFINITY);
      TensorWriter w = TensorWriter.of(x.dtype(), x.shape());
      for (long i = 0; i < x.size(); i++) {
        w.setDouble(i, Math.min(Math.max(x.getDouble(i), lo), hi));
      }
      return List.of(w.build());
    }
  }

  /** A float attribute: y = alpha * x. */
  static final class TScale extends OpSchema {
    TScale() {
      super("TScale", 1, 1, 1, 1, List.of(AttrSpec.optional("alpha", AttributeKind.FLOAT),
          AttrSpec.optional("pads", AttributeKind.FLOATS)));
    }

    @Override
    public List<TensorType> inferTypes(InferenceContext ctx) {
      return List.of(ctx.requireFloating(0));
    }

    @Override
    public List<Tensor> evaluate(EvalContext ctx) {
      Tensor x = ctx.input(0);
      double alpha = ctx.attrs().getFloat("alpha", 1f);
      TensorWriter w = TensorWriter.of(x.dtype(), x.shape());
      for (long i = 0; i < x.size(); i++) {
        w.setDouble(i, alpha * x.getDouble(i));
      }
      return List.of(w.build());
    }
  }

  /** The shape of its input as i64, folded when the shape is static. */
  static final class TShape extends OpSchema {
    TShape() {
      super("TShape", 1, 1, 1, 1, List.of());
    }

    @Override
    public List<TensorType> inferTypes(InferenceContext ctx) {
      return List.of(TensorType.of(DType.I64, ctx.type(0).rank()));
    }

    @Override
    public List<Tensor> evaluate(EvalContext ctx) {
      return List.of(Tensor.ofLongs(new long[] {ctx.input(0).rank()}, ctx.input(0).shape()));
    }

    @Override
    public Optional<List<Tensor>> foldWithoutConstants(InferenceContext ctx) {
      Shape s = ctx.type(0).shape();
      return s.isStatic()
          ? Optional.of(List.of(Tensor.ofLongs(new long[] {s.rank()}, s.toLongArray())))
          : Optional.empty();
    }
  }

  /** Reshape to a shape given as a constant i64 input (the output is unknown otherwise). */
  static final class TReshape extends OpSchema {
    TReshape() {
      super("TReshape", 2, 2, 1, 1, List.of());
    }

    @Override
    public List<TensorType> inferTypes(InferenceContext ctx) {
      Optional<Tensor> shape = ctx.constant(1);
      if (shape.isEmpty()) {
        List<Dim> dims = new ArrayList<>();
        for (long i = 0; i < ctx.type(1).shape().dim(0).size(); i++) {
          dims.add(Dim.UNKNOWN);
        }
        return List.of(new TensorType(ctx.type(0).dtype(), Shape.of(dims)));
      }
      return List.of(TensorType.of(ctx.type(0).dtype(), shape.get().toLongArray()));
    }

    @Override
    public List<Tensor> evaluate(EvalContext ctx) {
      return List.of(ctx.input(0).reshape(ctx.input(1).toLongArray()));
    }
  }

  /** Takes every attribute kind, optionally, and passes its input through. */
  static final class TEverything extends OpSchema {
    TEverything() {
      super("TEverything", 0, 1, 1, 1, List.of(
          AttrSpec.optional("i", AttributeKind.INT),
          AttrSpec.optional("f", AttributeKind.FLOAT),
          AttrSpec.optional("s", AttributeKind.STRING),
          AttrSpec.optional("ints", AttributeKind.INTS),
          AttrSpec.optional("floats", AttributeKind.FLOATS),
          AttrSpec.optional("strings", AttributeKind.STRINGS),
          AttrSpec.optional("value", AttributeKind.TENSOR)));
    }

    @Override
    public List<TensorType> inferTypes(InferenceContext ctx) {
      if (ctx.hasInput(0)) {
        return List.of(ctx.type(0));
      }
      return List.of(ctx.attrs().getTensor("value")
          .orElseThrow(() -> OpException.of("needs an input or attribute 'value'")).type());
    }

    @Override
    public List<Tensor> evaluate(EvalContext ctx) {
      if (ctx.hasInput(0)) {
        return List.of(ctx.input(0));
      }
      return List.of(ctx.attrs().getTensor("value").orElseThrow());
    }
  }
}
