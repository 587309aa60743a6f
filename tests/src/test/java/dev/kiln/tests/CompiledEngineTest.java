package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.api.ModelOptions;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.Dim;
import dev.kiln.passes.lower.LoweringRegistry;
import dev.kiln.runtime.interpreter.RunException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The compiled engine against the reference interpreter on the bundled examples: same outputs
 * within {@code 1e-5 + 1e-5 * |expected|} for f32 (the interpreter computes in f64 and rounds
 * once; compiled code rounds every f32 operation), same errors for bad inputs, several threads at
 * once, one compiled program per input-shape signature.
 */
class CompiledEngineTest {
  static final Path EXAMPLES = Path.of("examples");

  static ModelOptions compiled(int threads) {
    return ModelOptions.defaults().withEngine(ModelOptions.Engine.COMPILED).withThreads(threads);
  }

  static Map<String, Tensor> randomInputs(Model model, long n, long seed) {
    Random r = new Random(seed);
    Map<String, Tensor> in = new LinkedHashMap<>();
    for (Value v : model.inputs()) {
      long[] shape = v.type().shape().dims().stream()
          .mapToLong(d -> d instanceof Dim.Known k ? k.size() : n).toArray();
      TensorWriter w = TensorWriter.of(v.type().dtype(), shape);
      long size = 1;
      for (long d : shape) {
        size *= d;
      }
      for (long i = 0; i < size; i++) {
        w.setDouble(i, r.nextGaussian());
      }
      in.put(v.name(), w.build());
    }
    return in;
  }

  static void assertClose(String what, Map<String, Tensor> expected, Map<String, Tensor> actual) {
    assertEquals(expected.keySet().stream().toList(), actual.keySet().stream().toList(), what);
    for (String name : expected.keySet()) {
      Tensor e = expected.get(name);
      Tensor a = actual.get(name);
      assertEquals(e.type(), a.type(), what + " %" + name);
      for (long i = 0; i < e.size(); i++) {
        double x = e.getDouble(i);
        double y = a.getDouble(i);
        assertTrue(Math.abs(x - y) <= 1e-5 + 1e-5 * Math.abs(x) || (Double.isNaN(x) && Double.isNaN(y)),
            what + " %" + name + "[" + i + "]: expected " + x + " but compiled gave " + y);
      }
    }
  }

  @Test
  void mlpMatchesTheInterpreterForEachBatchSize() {
    Path file = EXAMPLES.resolve("mlp/mlp.kiln");
    Model reference = Kiln.load(file, ModelOptions.defaults().withEngine(ModelOptions.Engine.INTERPRETER));
    Model model = Kiln.load(file, compiled(2));
    for (long n : new long[] {1, 3, 1}) {
      Map<String, Tensor> in = randomInputs(model, n, 42 + n);
      assertClose("mlp N=" + n + " seed " + (42 + n), reference.run(in), model.run(in));
    }
    // N=1 twice: compiled once.
    assertEquals(2, model.compileLog().size(), model.compileLog().toString());
    assertTrue(model.compileLog().get(0).startsWith("compiled for %x[1, 784]: "), model.compileLog().get(0));
  }

  @Test
  void cnnMatchesTheInterpreterOrSaysWhatIsMissing() {
    Path file = EXAMPLES.resolve("cnn/cnn.kiln");
    Model reference = Kiln.load(file, ModelOptions.defaults().withEngine(ModelOptions.Engine.INTERPRETER));
    Model model = Kiln.load(file, compiled(2));
    Map<String, Tensor> in = randomInputs(model, 2, 7);
    List<String> missing = model.graph().nodes().stream().map(n -> n.op())
        .filter(op -> LoweringRegistry.standard().lookup(op).isEmpty()).distinct().sorted().toList();
    if (missing.isEmpty()) {
      assertClose("cnn N=2 seed 7", reference.run(in), model.run(in));
    } else {
      RunException e = assertThrows(RunException.class, () -> model.run(in));
      assertEquals("the compiled engine cannot run " + String.join(", ", missing) + " yet (no lowering "
          + "to loop IR); use the interpreter engine (--engine interpreter, or "
          + "ModelOptions.Engine.INTERPRETER)", e.getMessage());
    }
  }

  @Test
  void badInputsFailAsInTheInterpreter() {
    Path file = EXAMPLES.resolve("mlp/mlp.kiln");
    Model reference = Kiln.load(file, ModelOptions.defaults().withEngine(ModelOptions.Engine.INTERPRETER));
    Model model = Kiln.load(file, compiled(1));
    List<Map<String, Tensor>> bad = List.of(
        Map.of(),
        Map.of("x", Tensor.zeros(dev.kiln.ir.type.DType.F32, 2, 783)),
        Map.of("x", Tensor.zeros(dev.kiln.ir.type.DType.F64, 2, 784), "y", Tensor.scalar(dev.kiln.ir.type.DType.F32, 1)));
    for (Map<String, Tensor> in : bad) {
      RunException expected = assertThrows(RunException.class, () -> reference.run(in));
      RunException actual = assertThrows(RunException.class, () -> model.run(in));
      assertEquals(expected.problems(), actual.problems());
    }
    assertEquals(0, model.compileLog().size());
  }

  @Test
  void manyThreadsRunOneModelAtOnce() throws Exception {
    Path file = EXAMPLES.resolve("mlp/mlp.kiln");
    Model reference = Kiln.load(file, ModelOptions.defaults().withEngine(ModelOptions.Engine.INTERPRETER));
    Model model = Kiln.load(file, compiled(3));
    ExecutorService callers = Executors.newFixedThreadPool(6);
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (int t = 0; t < 12; t++) {
        long n = 1 + t % 3;
        long seed = 100 + t;
        runs.add(callers.submit(() -> {
          Map<String, Tensor> in = randomInputs(model, n, seed);
          assertClose("thread seed " + seed, reference.run(in), model.run(in));
          return null;
        }));
      }
      for (Future<?> f : runs) {
        f.get();
      }
    } finally {
      callers.shutdown();
    }
    assertEquals(3, model.compileLog().size(), model.compileLog().toString());
  }
}
