package dev.kiln.passes.lower;

import static org.junit.jupiter.api.Assertions.fail;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.op.NodeInference;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import dev.kiln.ir.verify.Verifier;
import dev.kiln.passes.shape.BindShapes;
import dev.kiln.runtime.interpreter.ReferenceInterpreter;
import dev.kiln.runtime.loop.LoopInterpreter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The differential harness: runs a graph with the reference interpreter and its lowering
 * (BindShapes, then GraphToLoops) with the loop-IR interpreter on the same random inputs, and
 * compares every output. Integer and bool outputs must be equal; reals must satisfy
 * {@code |a - b| <= atol + rtol * |b|} (b the reference) with (atol, rtol) = (1e-5, 1e-5) for f32,
 * (1e-10, 1e-10) for f64, (1e-3, 4e-3) for f16 and (1e-2, 1.6e-2) for bf16: the reference
 * computes in f64 and rounds once, the loop IR rounds after every f32 operation. NaN equals NaN
 * and infinities must match exactly.
 */
final class Differential {
  static final OpRegistry OPS = OpRegistry.standard();
  static boolean SPECIALS = true;

  private Differential() {}

  /** A one-node graph under construction: inputs (random data), constants, then the node. */
  static final class OneNode {
    final GraphBuilder b = Graph.builder("t");
    final List<Optional<Value>> inputs = new ArrayList<>();
    final Random rnd;
    boolean nonZero;

    OneNode(Random rnd) {
      this.rnd = rnd;
    }

    OneNode in(DType t, long... shape) {
      inputs.add(Optional.of(b.input("x" + inputs.size(), TensorType.of(t, shape))));
      return this;
    }

    OneNode constant(Tensor data) {
      inputs.add(Optional.of(b.constant("c" + inputs.size(), data)));
      return this;
    }

    OneNode ints(long... values) {
      return constant(Tensor.ofLongs(new long[] {values.length}, values));
    }

    OneNode absent() {
      inputs.add(Optional.empty());
      return this;
    }

    /** Integer inputs get no zeros (divisors). */
    OneNode nonZero() {
      nonZero = true;
      return this;
    }

    Graph node(String op, Attributes attrs, int outputs) {
      OpSchema schema = OPS.lookup(op).orElseThrow();
      List<Optional<TensorType>> types = inputs.stream().map(v -> v.map(Value::type)).toList();
      List<Optional<Tensor>> consts = new ArrayList<>();
      for (Optional<Value> v : inputs) {
        consts.add(v.flatMap(x -> b.build().constantsByName().containsKey(x.name())
            ? Optional.of(b.build().constantsByName().get(x.name()).data()) : Optional.empty()));
      }
      NodeInference.Result r = NodeInference.infer(schema, attrs, types, consts, outputs);
      List<Value> outs = new ArrayList<>();
      for (int o = 0; o < outputs; o++) {
        outs.add(new Value("y" + o, r.types().get(o)));
      }
      b.addNode(new Node("n", op, ImmutableList.copyOf(inputs), ImmutableList.copyOf(outs), attrs));
      outs.forEach(b::output);
      return b.build();
    }

    Graph node(String op, Attributes attrs) {
      return node(op, attrs, 1);
    }

    Graph node(String op) {
      return node(op, Attributes.EMPTY, 1);
    }
  }

  static Attributes.Builder attrs() {
    return Attributes.builder();
  }

  /** Runs both paths on random inputs for {@code graph} and compares; the failure names the case. */
  static LoopProgram check(String what, Graph graph, Random rnd, boolean nonZero) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (Value v : graph.inputs()) {
      shapes.put(v.name(), v.type().shape().toLongArray());
    }
    return check(what, graph, shapes, rnd, nonZero);
  }

  /** Like {@link #check(String, Graph, Random, boolean)} for inputs of the given shapes. */
  static LoopProgram check(
      String what, Graph graph, Map<String, long[]> shapes, Random rnd, boolean nonZero) {
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    for (Value v : graph.inputs()) {
      inputs.put(v.name(), random(v.type().dtype(), shapes.get(v.name()), rnd, nonZero));
    }
    return checkWith(what, graph, inputs);
  }

  /** Runs both paths on the given inputs and compares every output. */
  static LoopProgram checkWith(String what, Graph graph, Map<String, Tensor> inputs) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    inputs.forEach((name, t) -> shapes.put(name, t.shape()));
    String context = what + " with inputs " + describe(graph);
    Map<String, Tensor> expected;
    try {
      expected = new ReferenceInterpreter(graph, OPS).run(inputs);
    } catch (RuntimeException e) {
      throw new AssertionError(context + ": the reference failed: " + e.getMessage(), e);
    }
    LoopProgram program;
    Map<String, Tensor> actual;
    try {
      Graph bound = BindShapes.bind(graph, shapes);
      new Verifier(OPS).verifyOrThrow(bound); // binding keeps the graph valid
      program = GraphToLoops.lower(bound);
      Map<String, Tensor> byBuffer = LoopInterpreter.run(program, inputs);
      actual = new LinkedHashMap<>();
      List<Tensor> values = new ArrayList<>(byBuffer.values());
      for (int i = 0; i < graph.outputs().size(); i++) {
        actual.put(graph.outputs().get(i).name(), values.get(i));
      }
    } catch (RuntimeException e) {
      throw new AssertionError(context + ": lowering or running failed: " + e, e);
    }
    for (Map.Entry<String, Tensor> e : expected.entrySet()) {
      compare(context + ", output %" + e.getKey(), e.getValue(), actual.get(e.getKey()), program);
    }
    return program;
  }

  static String describe(Graph g) {
    List<String> parts = new ArrayList<>();
    g.inputs().forEach(v -> parts.add("%" + v.name() + ": " + v.type()));
    g.constants().forEach(c -> parts.add("%" + c.value().name() + " = " + c.data()));
    g.nodes().forEach(n -> parts.add(n.op() + " " + n.attributes()));
    return String.join(", ", parts);
  }

  static void compare(String what, Tensor expected, Tensor actual, LoopProgram program) {
    if (!Arrays.equals(expected.shape(), actual.shape()) || expected.dtype() != actual.dtype()) {
      fail(what + ": expected " + expected.type() + ", got " + actual.type());
    }
    DType t = expected.dtype();
    double[] tol = switch (t) {
      case F32 -> new double[] {1e-5, 1e-5};
      case F64 -> new double[] {1e-10, 1e-10};
      case F16 -> new double[] {1e-3, 4e-3};
      case BF16 -> new double[] {1e-2, 1.6e-2};
      default -> null;
    };
    for (long i = 0; i < expected.size(); i++) {
      boolean ok;
      String e;
      String a;
      if (tol == null) {
        ok = expected.getLong(i) == actual.getLong(i);
        e = Long.toString(expected.getLong(i));
        a = Long.toString(actual.getLong(i));
      } else {
        double x = expected.getDouble(i);
        double y = actual.getDouble(i);
        ok = (Double.isNaN(x) && Double.isNaN(y)) || x == y
            || (Double.isFinite(x) && Math.abs(x - y) <= tol[0] + tol[1] * Math.abs(x));
        e = Double.toString(x);
        a = Double.toString(y);
      }
      if (!ok) {
        fail(what + ": element " + i + " expected " + e + " got " + a + "\n" + program);
      }
    }
  }

  private static final double[] SPECIAL = {
    Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0};

  /**
   * Random data: reals in [-2, 2] (in one tensor of two, one element in four is NaN, an
   * infinity or a signed zero), signed integers in [-5, 5], unsigned in [0, 10].
   */
  static Tensor random(DType t, long[] shape, Random rnd, boolean nonZero) {
    TensorWriter w = TensorWriter.of(t, shape);
    boolean special = SPECIALS && rnd.nextInt(2) == 0;
    for (long i = 0; i < w.size(); i++) {
      if (t.isFloating()) {
        w.setDouble(i, special && rnd.nextInt(4) == 0
            ? SPECIAL[rnd.nextInt(SPECIAL.length)] : rnd.nextDouble() * 4 - 2);
      } else if (t == DType.BOOL) {
        w.setBoolean(i, rnd.nextBoolean());
      } else {
        long v = t.isSigned() ? rnd.nextInt(11) - 5 : rnd.nextInt(11);
        if (nonZero && v == 0) {
          v = 3;
        }
        w.setLong(i, v);
      }
    }
    return w.build();
  }
}
