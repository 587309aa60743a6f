package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundled examples: reproducible, round-tripping, and computing what they claim to. */
class ExamplesTest {
  static final Path EXAMPLES = Path.of("examples");

  @Test
  void committedWeightsAreWhatTheGeneratorMakes(@TempDir Path tmp) throws IOException {
    if (Boolean.getBoolean("kiln.regenerateExamples")) {
      ExampleWeights.writeAll(EXAMPLES);
    }
    for (String name : ExampleWeights.all().keySet()) {
      Files.createDirectories(tmp.resolve(name));
    }
    ExampleWeights.writeAll(tmp);
    for (String name : ExampleWeights.all().keySet()) {
      Path committed = EXAMPLES.resolve(name).resolve(name + ".safetensors");
      assertArrayEquals(
          Files.readAllBytes(tmp.resolve(name).resolve(name + ".safetensors")),
          Files.readAllBytes(committed),
          committed + " differs from what ExampleWeights makes; regenerate with "
              + "bin/test -pl tests -am -Dkiln.regenerateExamples=true");
    }
  }

  @Test
  void everyExampleRoundTripsThroughThePrinter(@TempDir Path tmp) throws IOException {
    for (String name : ExampleWeights.all().keySet()) {
      Path file = EXAMPLES.resolve(name).resolve(name + ".kiln");
      KilnModel model = KilnText.read(file);
      String printed = KilnText.print(model);
      KilnModel reparsed = KilnText.parse(printed, "printed " + name, file.getParent());
      assertEquals(model.graph(), reparsed.graph(), "round trip of " + file);
      assertEquals(printed, KilnText.print(reparsed), "printing is stable for " + file);
    }
  }

  /** The MLP computed by hand from its weights, independently of the operators' code. */
  @Test
  void mlpMatchesAPlainJavaComputation() {
    Model model = Kiln.load(EXAMPLES.resolve("mlp/mlp.kiln"));
    Map<String, Tensor> w = ExampleWeights.mlp();
    int batch = 3;
    SplittableRandom rng = new SplittableRandom(7);
    TensorWriter xw = TensorWriter.of(DType.F32, batch, 784);
    for (int i = 0; i < batch * 784; i++) {
      xw.setDouble(i, rng.nextDouble());
    }
    Tensor x = xw.build();
    Tensor probs = model.run(Map.of("x", x)).get("probs");
    assertArrayEquals(new long[] {batch, 10}, probs.shape());

    double[] in = x.toDoubleArray();
    double[] h1 = relu(linear(in, batch, 784, w.get("fc1.weight"), w.get("fc1.bias")));
    double[] h2 = relu(linear(h1, batch, 128, w.get("fc2.weight"), w.get("fc2.bias")));
    double[] logits = linear(h2, batch, 64, w.get("fc3.weight"), w.get("fc3.bias"));
    for (int b = 0; b < batch; b++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < 10; j++) {
        max = Math.max(max, logits[b * 10 + j]);
      }
      double sum = 0;
      for (int j = 0; j < 10; j++) {
        sum += Math.exp(logits[b * 10 + j] - max);
      }
      double total = 0;
      for (int j = 0; j < 10; j++) {
        double expected = Math.exp(logits[b * 10 + j] - max) / sum;
        double actual = probs.getDouble(b * 10L + j);
        assertEquals(expected, actual, 1e-5, "probs[" + b + "][" + j + "]");
        total += actual;
      }
      assertEquals(1.0, total, 1e-5);
    }
  }

  @Test
  void cnnRunsOnABatchAndKeepsImagesIndependent() {
    Model model = Kiln.load(EXAMPLES.resolve("cnn/cnn.kiln"));
    SplittableRandom rng = new SplittableRandom(11);
    TensorWriter xw = TensorWriter.of(DType.F32, 2, 3, 32, 32);
    for (int i = 0; i < xw.size(); i++) {
      xw.setDouble(i, rng.nextDouble() * 2 - 1);
    }
    Tensor batch = xw.build();
    Tensor logits = model.run(Map.of("image", batch)).get("logits");
    assertArrayEquals(new long[] {2, 10}, logits.shape());
    // Image 1 alone must give row 1 of the batched result: batch elements never mix.
    TensorWriter one = TensorWriter.of(DType.F32, 1, 3, 32, 32);
    for (int i = 0; i < one.size(); i++) {
      one.copyElement(batch, 3 * 32 * 32 + i, i);
    }
    Tensor single = model.run(Map.of("image", one.build())).get("logits");
    for (int j = 0; j < 10; j++) {
      assertEquals(logits.getDouble(10 + j), single.getDouble(j), 1e-6);
    }
    boolean anyDifferent = false;
    for (int j = 0; j < 10; j++) {
      anyDifferent |= logits.getDouble(j) != logits.getDouble(10 + j);
    }
    assertTrue(anyDifferent, "two different images gave identical logits");
  }

  private static double[] linear(double[] in, int batch, int inDim, Tensor weight, Tensor bias) {
    int outDim = (int) weight.dim(0);
    double[] out = new double[batch * outDim];
    for (int b = 0; b < batch; b++) {
      for (int o = 0; o < outDim; o++) {
        double acc = bias.getDouble(o);
        for (int i = 0; i < inDim; i++) {
          acc += in[b * inDim + i] * weight.getDouble((long) o * inDim + i);
        }
        out[b * outDim + o] = acc;
      }
    }
    return out;
  }

  private static double[] relu(double[] v) {
    double[] out = v.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.max(0, out[i]);
    }
    return out;
  }
}
