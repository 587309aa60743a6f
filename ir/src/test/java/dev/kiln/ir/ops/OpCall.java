package dev.kiln.ir.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attribute;
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

/**
 * One operator application for tests, built fluently: {@code OpCall.of("Conv").ints("strides", 2,
 * 2).in(x).in(w).eval()}. Inference sees the types of all inputs but the values only of inputs
 * added with {@link #constIn} (such as reduction axes), so that it never folds and the test
 * exercises shape inference itself. {@link #eval} also checks that inference agrees with the
 * shapes the reference semantics produce.
 */
public final class OpCall {
  private final OpSchema schema;
  private final Attributes.Builder attrs = Attributes.builder();
  private final List<Optional<TensorType>> types = new ArrayList<>();
  private final List<Optional<Tensor>> values = new ArrayList<>();
  private final List<Optional<Tensor>> compileTimeValues = new ArrayList<>();
  private int outputs = 1;

  private OpCall(OpSchema schema) {
    this.schema = schema;
  }

  public static OpCall of(String op) {
    return new OpCall(
        OpRegistry.standard()
            .lookup(op)
            .orElseThrow(() -> new AssertionError("operator " + op + " is not registered")));
  }

  public OpCall attr(String name, long value) {
    attrs.put(name, value);
    return this;
  }

  public OpCall attr(String name, float value) {
    attrs.put(name, value);
    return this;
  }

  public OpCall attr(String name, String value) {
    attrs.put(name, value);
    return this;
  }

  public OpCall ints(String name, long... values) {
    attrs.putInts(name, values);
    return this;
  }

  public OpCall attr(String name, Attribute value) {
    attrs.put(name, value);
    return this;
  }

  /** An input whose value evaluation uses; inference sees only its type. */
  public OpCall in(Tensor t) {
    types.add(Optional.of(t.type()));
    values.add(Optional.of(t));
    compileTimeValues.add(Optional.empty());
    return this;
  }

  /** An input whose value is known at compile time, to inference as well. */
  public OpCall constIn(Tensor t) {
    types.add(Optional.of(t.type()));
    values.add(Optional.of(t));
    compileTimeValues.add(Optional.of(t));
    return this;
  }

  /** An input known only by its type (for inference tests). */
  public OpCall in(TensorType t) {
    types.add(Optional.of(t));
    values.add(Optional.empty());
    compileTimeValues.add(Optional.empty());
    return this;
  }

  /** An absent optional input slot. */
  public OpCall absent() {
    types.add(Optional.empty());
    values.add(Optional.empty());
    compileTimeValues.add(Optional.empty());
    return this;
  }

  public OpCall outputs(int count) {
    this.outputs = count;
    return this;
  }

  public Attributes attributes() {
    return attrs.build();
  }

  /** Arity and attribute problems, as the verifier reports them. */
  public List<String> problems() {
    List<Boolean> present = types.stream().map(Optional::isPresent).toList();
    return NodeInference.checkApplication(schema, present, outputs, attributes());
  }

  /** The inferred output types; fails the test if the application is malformed. */
  public List<TensorType> inferAll() {
    List<String> problems = problems();
    assertTrue(problems.isEmpty(), () -> "application problems: " + problems);
    return NodeInference.infer(schema, attributes(), types, compileTimeValues, outputs).types();
  }

  public TensorType infer() {
    return inferAll().get(0);
  }

  /** The inferred type of the single output, printed ({@code f32[N, 64, 112, 112]}). */
  public String inferText() {
    return infer().toString();
  }

  /** The message of the {@link OpException} that inference throws. */
  public String inferError() {
    assertTrue(problems().isEmpty(), () -> "application problems: " + problems());
    return assertThrows(
            OpException.class,
            () -> NodeInference.infer(schema, attributes(), types, compileTimeValues, outputs))
        .getMessage();
  }

  /** Runs the reference semantics on the (all known) inputs. */
  public List<Tensor> evalAll() {
    List<Optional<Tensor>> in = new ArrayList<>();
    for (int i = 0; i < types.size(); i++) {
      if (types.get(i).isPresent() && values.get(i).isEmpty()) {
        throw new AssertionError("input " + i + " has no value");
      }
      in.add(values.get(i));
    }
    List<Tensor> out =
        schema.evaluate(new EvalContext(schema.name(), attributes(), ImmutableList.copyOf(in), outputs));
    assertEquals(outputs, out.size(), "number of outputs");
    // Inference from types (and compile-time inputs) must agree with what evaluation produced.
    List<TensorType> inferred =
        NodeInference.infer(schema, attributes(), types, compileTimeValues, outputs).types();
    for (int i = 0; i < outputs; i++) {
      assertTrue(
          NodeInference.compatible(out.get(i).type(), inferred.get(i)),
          "output " + i + " evaluated to " + out.get(i).type() + " but inference gave " + inferred.get(i));
    }
    return out;
  }

  public Tensor eval() {
    return evalAll().get(0);
  }

  /** The message of the {@link OpException} that evaluation throws. */
  public String evalError() {
    return assertThrows(
            OpException.class,
            () ->
                schema.evaluate(
                    new EvalContext(schema.name(), attributes(), ImmutableList.copyOf(values), outputs)))
        .getMessage();
  }

  // ---- tensors and assertions ----

  /** An f32 tensor. */
  public static Tensor tensor(long[] shape, double... values) {
    return Tensor.ofDoubles(DType.F32, shape, values);
  }

  /** An f32 tensor holding 1, 2, 3, ... in row-major order. */
  public static Tensor iota(long... shape) {
    double[] v = new double[Math.toIntExact(Tensor.zeros(DType.F32, shape).size())];
    for (int i = 0; i < v.length; i++) {
      v[i] = i + 1;
    }
    return tensor(shape, v);
  }

  public static Tensor i64(long[] shape, long... values) {
    return Tensor.ofLongs(shape, values);
  }

  public static long[] shape(long... dims) {
    return dims;
  }

  public static TensorType type(DType dtype, Object... dims) {
    Dim[] d = new Dim[dims.length];
    for (int i = 0; i < dims.length; i++) {
      d[i] =
          switch (dims[i]) {
            case Integer n -> Dim.of(n);
            case Long n -> Dim.of(n);
            case String s when s.equals("?") -> Dim.UNKNOWN;
            case String s -> Dim.named(s);
            default -> throw new IllegalArgumentException("dim " + dims[i]);
          };
    }
    return TensorType.of(dtype, d);
  }

  /** An f32 tensor type with known sizes, names ({@code "N"}) or {@code "?"}. */
  public static TensorType f32(Object... dims) {
    return type(DType.F32, dims);
  }

  /**
   * Asserts shape and values, with a tolerance suited to f32 results (1e-5 absolute or 1e-6
   * relative); NaN matches NaN.
   */
  public static void assertTensor(long[] expectedShape, double[] expected, Tensor actual) {
    assertArrayEquals(expectedShape, actual.shape(), () -> "shape of " + actual);
    double[] got = actual.toDoubleArray();
    assertEquals(expected.length, got.length, () -> "element count of " + actual);
    for (int i = 0; i < expected.length; i++) {
      double e = expected[i];
      double tolerance = Math.max(1e-5, 1e-6 * Math.abs(e));
      boolean same = Double.compare(e, got[i]) == 0 || Math.abs(e - got[i]) <= tolerance;
      int at = i;
      assertTrue(same, () -> "element " + at + " of " + actual + ": expected " + e + " but was " + got[at]);
    }
  }
}
