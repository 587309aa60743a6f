package dev.kiln.tests;

// README-BEGIN
import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.ir.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;

public class ReadmeExample {
  public static void main(String[] args) {
    // Load and verify a model; errors come as file:line:col messages.
    Model model = Kiln.load(Path.of("examples/mlp/mlp.kiln"));

    // One image of 784 values (the batch dim N binds to 1 here).
    float[] pixels = new float[784];
    java.util.Arrays.fill(pixels, 0.5f);
    Tensor x = Tensor.ofFloats(new long[] {1, 784}, pixels);

    Map<String, Tensor> outputs = model.run(Map.of("x", x));
    Tensor probs = outputs.get("probs");
    System.out.println("probabilities: " + probs);
  }
}
// README-END
