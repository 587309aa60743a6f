package dev.kiln.ir.ops.elementwise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Runs single operator applications the way the verifier and the interpreter do: arity and
 * attribute checks, then {@link NodeInference#infer} or the schema's {@code evaluate}.
 */
final class OpTesting {
  private OpTesting() {}

  static OpSchema schema(String op) {
    return OpRegistry.standard()
        .lookup(op)
        .orElseThrow(() -> new AssertionError(op + " is not registered"));
  }

  /** Attributes from name/value pairs: Integer or Long is an int, Float a float, String a string. */
  static Attributes attrs(Object... nameValue) {
    Attributes.Builder b = Attributes.builder();
    for (int i = 0; i < nameValue.length; i += 2) {
      String name = (String) nameValue[i];
      switch (nameValue[i + 1]) {
        case Integer v -> b.put(name, (long) v);
        case Long v -> b.put(name, v);
        case Float v -> b.put(name, v);
        case String v -> b.put(name, v);
        default -> throw new IllegalArgumentException(nameValue[i + 1].toString());
      }
    }
    return b.build();
  }

  /** A type from its printed form, e.g. {@code f32[N, 3, ?]}. */
  static TensorType type(String text) {
    int open = text.indexOf('[');
    DType dtype = DType.fromText(text.substring(0, open)).orElseThrow();
    String body = text.substring(open + 1, text.length() - 1).trim();
    List<Dim> dims = new ArrayList<>();
    if (!body.isEmpty()) {
      for (String d : body.split(",")) {
        String s = d.trim();
        dims.add(s.equals("?") ? Dim.UNKNOWN : Character.isDigit(s.charAt(0)) ? Dim.of(Long.parseLong(s)) : Dim.named(s));
      }
    }
    return new TensorType(dtype, Shape.of(dims));
  }

  static NodeInference.Result inferResult(
      String op, Attributes attrs, int outputs, List<Optional<TensorType>> types, List<Optional<Tensor>> constants) {
    OpSchema schema = schema(op);
    List<String> problems =
        NodeInference.checkApplication(schema, types.stream().map(Optional::isPresent).toList(), outputs, attrs);
    assertEquals(List.of(), problems, "application problems");
    return NodeInference.infer(schema, attrs, types, constants, outputs);
  }

  /** The inferred output type of a one-output application whose inputs are all present and unknown. */
  static TensorType infer(String op, Attributes attrs, TensorType... inputs) {
    List<Optional<TensorType>> types = Arrays.stream(inputs).map(Optional::of).toList();
    return inferResult(op, attrs, 1, types, Collections.nCopies(inputs.length, Optional.empty()))
        .types()
        .getFirst();
  }

  static TensorType infer(String op, TensorType... inputs) {
    return infer(op, Attributes.EMPTY, inputs);
  }

  /** The printed inferred type, for compact assertions such as {@code "f32[N, 4]"}. */
  static String inferText(String op, String... inputs) {
    return infer(op, Arrays.stream(inputs).map(OpTesting::type).toArray(TensorType[]::new)).toString();
  }

  /** The message of the {@link OpException} inference throws. */
  static String inferError(String op, Attributes attrs, TensorType... inputs) {
    return assertThrows(OpException.class, () -> infer(op, attrs, inputs)).getMessage();
  }

  static String inferError(String op, String... inputs) {
    return inferError(op, Attributes.EMPTY, Arrays.stream(inputs).map(OpTesting::type).toArray(TensorType[]::new));
  }

  static List<Tensor> evalAll(String op, Attributes attrs, int outputs, List<Optional<Tensor>> inputs) {
    return schema(op).evaluate(new EvalContext(op, attrs, ImmutableList.copyOf(inputs), outputs));
  }

  static Tensor eval(String op, Attributes attrs, Tensor... inputs) {
    return evalAll(op, attrs, 1, Arrays.stream(inputs).map(Optional::of).toList()).getFirst();
  }

  static Tensor eval(String op, Tensor... inputs) {
    return eval(op, Attributes.EMPTY, inputs);
  }

  /** The message of the {@link OpException} evaluation throws. */
  static String evalError(String op, Attributes attrs, Tensor... inputs) {
    return assertThrows(OpException.class, () -> eval(op, attrs, inputs)).getMessage();
  }

  static long[] shape(long... dims) {
    return dims;
  }

  static Tensor f32(long[] shape, float... values) {
    return Tensor.ofFloats(shape, values);
  }

  /** A rank-1 f32 tensor. */
  static Tensor f32(float... values) {
    return Tensor.ofFloats(new long[] {values.length}, values);
  }

  static Tensor f64(double... values) {
    return Tensor.ofDoubles(new long[] {values.length}, values);
  }

  static Tensor ints(DType dtype, long... values) {
    return Tensor.ofLongs(dtype, new long[] {values.length}, values);
  }

  static Tensor bools(boolean... values) {
    return Tensor.ofBooleans(new long[] {values.length}, values);
  }

  /** Element type, shape and values are exactly as expected (NaN equals NaN, -0 equals 0). */
  static void assertTensor(DType dtype, long[] shape, double[] expected, Tensor actual) {
    assertEquals(dtype, actual.dtype(), "dtype");
    assertArrayEquals(shape, actual.shape(), "shape");
    assertArrayEquals(expected, actual.toDoubleArray(), 0.0, "values");
  }

  static void assertLongs(DType dtype, long[] shape, long[] expected, Tensor actual) {
    assertEquals(dtype, actual.dtype(), "dtype");
    assertArrayEquals(shape, actual.shape(), "shape");
    assertArrayEquals(expected, actual.toLongArray(), "values");
  }

  static void assertBools(long[] shape, Tensor actual, boolean... expected) {
    assertEquals(DType.BOOL, actual.dtype(), "dtype");
    assertArrayEquals(shape, actual.shape(), "shape");
    boolean[] got = new boolean[Math.toIntExact(actual.size())];
    for (int i = 0; i < got.length; i++) {
      got[i] = actual.getBoolean(i);
    }
    assertArrayEquals(expected, got, "values");
  }

  /** Values close to the expected ones: within {@code ulps} units in the last place of double. */
  static void assertClose(double[] expected, Tensor actual, double ulps) {
    double[] got = actual.toDoubleArray();
    assertEquals(expected.length, got.length, "element count");
    for (int i = 0; i < got.length; i++) {
      if (Double.isFinite(expected[i])) {
        assertEquals(expected[i], got[i], ulps * Math.ulp(expected[i]), "element " + i);
      } else {
        assertEquals(expected[i], got[i], "element " + i); // NaN and infinities exactly
      }
    }
  }
}
