package dev.kiln.ir.ops.shape;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.op.EvalContext;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.function.Executable;

/**
 * Runs one operator application the way the verifier and the interpreter do. Inputs are given as
 * a {@link TensorType} (value unknown at compile time), a {@link Tensor} (a known constant), or
 * {@code null} (an absent optional input).
 */
final class OpHarness {
  private OpHarness() {}

  static OpSchema op(String name) {
    return OpRegistry.standard().lookup(name).orElseThrow();
  }

  /** Arity and attribute checks, then shape inference (with folding), for one output. */
  static TensorType infer(String op, Attributes attrs, Object... inputs) {
    return inferAll(op, attrs, 1, inputs).types().get(0);
  }

  static NodeInference.Result inferAll(String op, Attributes attrs, int outputs, Object... inputs) {
    OpSchema schema = op(op);
    List<Optional<TensorType>> types = new ArrayList<>();
    List<Optional<Tensor>> constants = new ArrayList<>();
    List<Boolean> present = new ArrayList<>();
    for (Object in : inputs) {
      switch (in) {
        case null -> {
          types.add(Optional.empty());
          constants.add(Optional.empty());
        }
        case TensorType t -> {
          types.add(Optional.of(t));
          constants.add(Optional.empty());
        }
        case Tensor t -> {
          types.add(Optional.of(t.type()));
          constants.add(Optional.of(t));
        }
        default -> throw new IllegalArgumentException("not an input: " + in);
      }
      present.add(in != null);
    }
    List<String> problems = NodeInference.checkApplication(schema, present, outputs, attrs);
    if (!problems.isEmpty()) {
      throw new OpException(String.join("; ", problems));
    }
    return NodeInference.infer(schema, attrs, types, constants, outputs);
  }

  /** The reference semantics on concrete inputs ({@code null} for an absent one). */
  static List<Tensor> evalAll(String op, Attributes attrs, int outputs, Tensor... inputs) {
    List<Optional<Tensor>> in = new ArrayList<>();
    for (Tensor t : inputs) {
      in.add(Optional.ofNullable(t));
    }
    return op(op).evaluate(new EvalContext(op, attrs, ImmutableList.copyOf(in), outputs));
  }

  static Tensor eval(String op, Attributes attrs, Tensor... inputs) {
    List<Tensor> out = evalAll(op, attrs, 1, inputs);
    assertEquals(1, out.size());
    return out.get(0);
  }

  static void assertInferError(String message, String op, Attributes attrs, Object... inputs) {
    OpException e = assertThrows(OpException.class, () -> infer(op, attrs, inputs));
    assertEquals(message, e.getMessage());
  }

  static void assertEvalError(String message, String op, Attributes attrs, Tensor... inputs) {
    OpException e = assertThrows(OpException.class, () -> eval(op, attrs, inputs));
    assertEquals(message, e.getMessage());
  }

  /** Asserts that {@code call} throws an {@link OpException} with exactly {@code message}. */
  static void assertOpError(String message, Executable call) {
    assertEquals(message, assertThrows(OpException.class, call).getMessage());
  }

  static Attributes attrs() {
    return Attributes.EMPTY;
  }

  static Attributes.Builder with() {
    return Attributes.builder();
  }

  // ---- values ----

  static Tensor i64(long... values) {
    return Tensor.ofLongs(new long[] {values.length}, values);
  }

  static Tensor i64Scalar(long value) {
    return Tensor.ofLongs(new long[0], value);
  }

  /** An f32 tensor of the given shape holding 0, 1, 2, ... */
  static Tensor iota(long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    float[] v = new float[(int) n];
    for (int i = 0; i < v.length; i++) {
      v[i] = i;
    }
    return Tensor.ofFloats(shape, v);
  }

  static Tensor f32(long[] shape, float... values) {
    return Tensor.ofFloats(shape, values);
  }

  static long[] shape(long... dims) {
    return dims;
  }

  static TensorType type(DType dtype, Object... dims) {
    Dim[] d = new Dim[dims.length];
    for (int i = 0; i < dims.length; i++) {
      d[i] = switch (dims[i]) {
        case Integer n -> Dim.of(n);
        case Long n -> Dim.of(n);
        case String s when s.equals("?") -> Dim.UNKNOWN;
        case String s -> Dim.named(s);
        default -> throw new IllegalArgumentException("not a dim: " + dims[i]);
      };
    }
    return TensorType.of(dtype, d);
  }

  static TensorType f32Type(Object... dims) {
    return type(DType.F32, dims);
  }

  static TensorType i64Type(Object... dims) {
    return type(DType.I64, dims);
  }
}
