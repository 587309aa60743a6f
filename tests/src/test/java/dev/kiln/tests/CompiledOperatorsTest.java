package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.api.ModelOptions;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.passes.lower.GraphToLoops;
import dev.kiln.passes.shape.BindShapes;
import dev.kiln.runtime.interpreter.ReferenceInterpreter;
import dev.kiln.runtime.loop.LoopInterpreter;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every operator through the compiled engine, on the lowering's random graphs ({@code Cases} in
 * passes' tests, which the surefire class path of this module includes), with the default
 * schedules: compiled outputs equal the loop-IR interpreter's on the unscheduled program bit for
 * bit (same arithmetic; schedules must not change results), except within a few ulps where
 * vectorized exp, log or tanh are used and within the f32 tolerance below where the program holds
 * a matmul intrinsic (the generated GEMM reassociates sums), and are within
 * tolerance of the reference interpreter: exact for integers and bools; for reals
 * {@code atol + rtol * |expected|} with 1e-5 for f32, 1e-10 for f64, (1e-3, 4e-3) for f16 and
 * (1e-2, 1.6e-2) for bf16 (the reference computes in f64 and rounds once). Failures name the
 * operator and the seed. The same graphs compiled at -O3 (graph clean-up and fusion, the NCHWc
 * layout, loop fusion) are within that tolerance of the reference too.
 */
class CompiledOperatorsTest {
  static final int SEEDS = 3;

  @TestFactory
  Stream<DynamicTest> everyOperatorCompiledMatchesBothInterpreters() throws Exception {
    Class<?> cases = Class.forName("dev.kiln.passes.lower.Cases");
    Method all = cases.getDeclaredMethod("all");
    all.setAccessible(true);
    Class<?> differential = Class.forName("dev.kiln.passes.lower.Differential");
    Method random = differential.getDeclaredMethod("random", DType.class, long[].class, Random.class, boolean.class);
    random.setAccessible(true);
    Map<?, ?> byOp = (Map<?, ?>) all.invoke(null);
    List<DynamicTest> tests = new ArrayList<>();
    ModelOptions options = ModelOptions.defaults().withEngine(ModelOptions.Engine.COMPILED).withThreads(2);
    for (Map.Entry<?, ?> e : byOp.entrySet()) {
      String op = (String) e.getKey();
      Object c = e.getValue();
      Method graphOf = c.getClass().getDeclaredMethod("graph");
      Method nonZeroOf = c.getClass().getDeclaredMethod("nonZero");
      graphOf.setAccessible(true);
      nonZeroOf.setAccessible(true);
      tests.add(DynamicTest.dynamicTest(op, () -> {
        for (int seed = 1; seed <= SEEDS; seed++) {
          Random rnd = new Random(seed * 7_000_003L + op.hashCode());
          @SuppressWarnings("unchecked")
          Graph g = ((Function<Random, Graph>) graphOf.invoke(c)).apply(rnd);
          boolean nonZero = (boolean) nonZeroOf.invoke(c);
          Map<String, Tensor> in = new LinkedHashMap<>();
          Map<String, long[]> shapes = new LinkedHashMap<>();
          for (Value v : g.inputs()) {
            Tensor t = (Tensor) random.invoke(null, v.type().dtype(), v.type().shape().toLongArray(), rnd, nonZero);
            in.put(v.name(), t);
            shapes.put(v.name(), t.shape());
          }
          String what = op + " seed " + seed + " (" + g.inputs() + ")";
          Map<String, Tensor> reference = new ReferenceInterpreter(g, dev.kiln.ir.op.OpRegistry.standard()).run(in);
          dev.kiln.ir.loop.LoopProgram lowered = GraphToLoops.lower(BindShapes.bind(g, shapes));
          List<Tensor> loops = new ArrayList<>(LoopInterpreter.run(lowered, in).values());
          boolean gemm = lowered.kernels().stream().anyMatch(k -> holdsMatmul(k.body()));
          Model model = Kiln.fromGraph(g, options.withOptimizationLevel(1));
          Map<String, Tensor> compiled = model.run(in);
          assertEquals(1, model.compileLog().size(), what + ": not compiled");
          int i = 0;
          for (Map.Entry<String, Tensor> out : compiled.entrySet()) {
            if (gemm) {
              // The generated GEMM blocks and reassociates the sums: close, not bit for bit.
              assertClose(what + ": compiled %" + out.getKey() + " vs the loop-IR interpreter",
                  loops.get(i++), out.getValue());
            } else {
              assertSameAsLoops(what + ": compiled %" + out.getKey() + " vs the loop-IR interpreter",
                  loops.get(i++), out.getValue());
            }
            assertClose(what + " %" + out.getKey(), reference.get(out.getKey()), out.getValue());
          }
          // -O3 rewrites the graph and the loops (fusion, layout): close to the reference.
          Map<String, Tensor> optimized = Kiln.fromGraph(g, options.withOptimizationLevel(3)).run(in);
          for (Map.Entry<String, Tensor> out : optimized.entrySet()) {
            assertClose(what + " at -O3 %" + out.getKey(), reference.get(out.getKey()), out.getValue());
          }
        }
      }));
    }
    return tests.stream();
  }

  static boolean holdsMatmul(dev.kiln.ir.loop.Stmt s) {
    return switch (s) {
      case dev.kiln.ir.loop.Stmt.Matmul mm -> true;
      case dev.kiln.ir.loop.Stmt.For f -> holdsMatmul(f.body());
      case dev.kiln.ir.loop.Stmt.Block b -> b.stmts().stream().anyMatch(CompiledOperatorsTest::holdsMatmul);
      case dev.kiln.ir.loop.Stmt.If x -> holdsMatmul(x.then()) || x.otherwise().map(CompiledOperatorsTest::holdsMatmul).orElse(false);
      default -> false;
    };
  }

  /**
   * Equal bit for bit, except that vectorized exp, log and tanh (the Vector API's own
   * implementations) may move a real result by a few units in the last place of its type.
   */
  static void assertSameAsLoops(String what, Tensor expected, Tensor actual) {
    assertEquals(expected.type(), actual.type(), what);
    DType t = expected.dtype();
    if (!t.isFloating() || t == DType.F64 || expected.equals(actual)) {
      assertEquals(expected, actual, what);
      return;
    }
    double ulpsOfType = switch (t) {
      case F16 -> 1 << 13;
      case BF16 -> 1 << 16;
      default -> 1;
    };
    for (long i = 0; i < expected.size(); i++) {
      double x = expected.getDouble(i);
      double y = actual.getDouble(i);
      boolean ok = Double.isNaN(x) ? Double.isNaN(y) : Double.isInfinite(x) ? x == y
          : Math.abs(x - y) <= 4 * ulpsOfType * Math.ulp((float) Math.max(Math.abs(x), Math.abs(y)));
      if (!ok) {
        throw new AssertionError(what + "[" + i + "]: loop IR gives " + x + ", compiled " + y);
      }
    }
  }

  static void assertClose(String what, Tensor expected, Tensor actual) {
    assertEquals(expected.type(), actual.type(), what);
    DType t = expected.dtype();
    double atol = switch (t) {
      case F32 -> 1e-5;
      case F64 -> 1e-10;
      case F16 -> 1e-3;
      case BF16 -> 1e-2;
      default -> 0;
    };
    double rtol = switch (t) {
      case F32 -> 1e-5;
      case F64 -> 1e-10;
      case F16 -> 4e-3;
      case BF16 -> 1.6e-2;
      default -> 0;
    };
    for (long i = 0; i < expected.size(); i++) {
      if (!t.isFloating()) {
        assertEquals(expected.getLong(i), actual.getLong(i), what + "[" + i + "]");
        continue;
      }
      double x = expected.getDouble(i);
      double y = actual.getDouble(i);
      boolean ok = Double.isNaN(x) ? Double.isNaN(y)
          : Double.isInfinite(x) ? x == y : Math.abs(x - y) <= atol + rtol * Math.abs(x);
      if (!ok) {
        throw new AssertionError(what + "[" + i + "]: expected " + x + " but compiled gave " + y);
      }
    }
  }
}
