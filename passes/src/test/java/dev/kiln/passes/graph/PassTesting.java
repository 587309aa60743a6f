package dev.kiln.passes.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.verify.Verifier;
import dev.kiln.passes.pipeline.GraphPass;
import dev.kiln.passes.pipeline.PassContext;
import dev.kiln.runtime.interpreter.ReferenceInterpreter;
import dev.kiln.ir.op.OpRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Shared by the graph pass tests: Kiln text in and out, running a pass with its result verified,
 * and the differential check (the graph before and after a pass give the same outputs on random
 * inputs under the reference interpreter).
 */
final class PassTesting {
  private PassTesting() {}

  static Graph parse(String text) {
    return KilnText.parse(text, "test.kiln", Path.of(".")).graph();
  }

  static String print(Graph g) {
    return KilnText.print(new KilnModel(g, Optional.empty()));
  }

  /** The body lines of a printed graph (without the model line and closing brace), trimmed. */
  static String body(Graph g) {
    List<String> lines = new ArrayList<>(print(g).strip().lines().map(String::strip).toList());
    lines.removeIf(l -> l.startsWith("kiln ") || l.startsWith("model ") || l.equals("}"));
    // Node outputs print with their types; the verifier checks those, the tests the structure.
    return String.join("\n", lines.stream().map(l -> l.startsWith("const ") ? l
        : l.replaceAll("(%[^\\s:,=]+): [a-z0-9]+\\[[^\\]]*\\]", "$1")).toList());
  }

  /** Runs {@code pass}, checks that the result verifies, and returns it. */
  static Graph run(GraphPass pass, Graph g) {
    Graph out = pass.run(g, PassContext.silent());
    Verifier.standard().verifyOrThrow(out);
    return out;
  }

  /** Runs {@code pass} collecting its remarks. */
  static List<String> remarks(GraphPass pass, Graph g) {
    List<String> remarks = new ArrayList<>();
    Verifier.standard().verifyOrThrow(pass.run(g, PassContext.explaining(remarks::add)));
    return remarks;
  }

  /** Runs {@code pass}, verifies, and checks the outputs are unchanged on random inputs. */
  static Graph runChecked(GraphPass pass, Graph g, long seed) {
    Graph out = run(pass, g);
    assertSameOutputs(g, out, seed);
    return out;
  }

  /** Random inputs of every graph input; symbolic dims are 2. */
  static Map<String, Tensor> randomInputs(Graph g, long seed) {
    Random r = new Random(seed);
    Map<String, Tensor> in = new LinkedHashMap<>();
    for (Value v : g.inputs()) {
      long[] shape = v.type().shape().dims().stream()
          .mapToLong(d -> d instanceof Dim.Known k ? k.size() : 2).toArray();
      TensorWriter w = TensorWriter.of(v.type().dtype(), shape);
      for (long i = 0; i < w.size(); i++) {
        if (v.type().dtype().isFloating()) {
          w.setDouble(i, r.nextGaussian());
        } else if (v.type().dtype() == DType.BOOL) {
          w.setBoolean(i, r.nextBoolean());
        } else {
          w.setLong(i, r.nextInt(10));
        }
      }
      in.put(v.name(), w.build());
    }
    return in;
  }

  static void assertSameOutputs(Graph before, Graph after, long seed) {
    assertSameOutputs(before, after, seed, 1e-5);
  }

  /** Same outputs, reals within {@code tolerance * (1 + |expected|)}. */
  static void assertSameOutputs(Graph before, Graph after, long seed, double tolerance) {
    Map<String, Tensor> in = randomInputs(before, seed);
    Map<String, Tensor> expected = new ReferenceInterpreter(before, OpRegistry.standard()).run(in);
    Map<String, Tensor> actual = new ReferenceInterpreter(after, OpRegistry.standard()).run(in);
    assertEquals(expected.keySet(), actual.keySet(), "output names");
    for (String name : expected.keySet()) {
      Tensor e = expected.get(name);
      Tensor a = actual.get(name);
      assertEquals(e.dtype(), a.dtype(), name);
      assertArrayEquals(e.shape(), a.shape(), name);
      for (long i = 0; i < e.size(); i++) {
        if (e.dtype().isFloating()) {
          double x = e.getDouble(i);
          double y = a.getDouble(i);
          assertTrue(Double.compare(x, y) == 0 || Math.abs(x - y) <= tolerance * (1 + Math.abs(x)),
              "%" + name + "[" + i + "]: expected " + x + ", got " + y);
        } else {
          assertEquals(e.getLong(i), a.getLong(i), "%" + name + "[" + i + "]");
        }
      }
    }
  }
}
