package dev.kiln.tests;

import static dev.kiln.tests.CompiledEngineTest.assertClose;
import static dev.kiln.tests.CompiledEngineTest.compiled;
import static dev.kiln.tests.CompiledEngineTest.randomInputs;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.api.ModelOptions;
import dev.kiln.ir.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The compiled engine at -O3 (graph clean-up and fusion: fused Conv/Gemm with their epilogues,
 * fuse-elementwise on the loops) computes what the reference interpreter computes on the
 * unoptimized graph, on the examples, and with fewer kernels than at -O1.
 */
class OptimizedCompileTest {
  @ParameterizedTest
  @ValueSource(strings = {"mlp", "cnn"})
  void o3MatchesTheInterpreterWithFewerKernels(String name) {
    Path file = Path.of("examples", name, name + ".kiln");
    Model reference = Kiln.load(file, ModelOptions.defaults().withEngine(ModelOptions.Engine.INTERPRETER));
    Model o1 = Kiln.load(file, compiled(2).withOptimizationLevel(1));
    Model o3 = Kiln.load(file, compiled(2).withOptimizationLevel(3));
    Map<String, Tensor> in = randomInputs(reference, 2, 11);
    assertClose(name + " -O3", reference.run(in), o3.run(in));
    o1.run(in);
    int kernels1 = kernels(o1.compileLog().get(0));
    int kernels3 = kernels(o3.compileLog().get(0));
    assertTrue(kernels3 < kernels1, name + ": -O1 " + o1.compileLog() + " -O3 " + o3.compileLog());
  }

  /** The kernel count of a compile log line ("compiled for ...: 6 kernels, ..."). */
  private static int kernels(String log) {
    String s = log.substring(log.indexOf(": ") + 2);
    return Integer.parseInt(s.substring(0, s.indexOf(' ')));
  }
}
