package dev.kiln.bench;

import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.onnx.OnnxModels;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.GraphBuilder;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.TensorType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import dev.kiln.ir.tensor.RandomTensors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Single-operator models built in code, written as ONNX so that Kiln and ONNX Runtime load the
 * same file. Weights are N(0, 1) / sqrt(fan-in) from a fixed seed, as the shared models'.
 *
 * <ul>
 *   <li>{@code matmul:MxKxN}: {@code y = MatMul(a, b)}, a f32[M, K] input, b a f32[K, N] constant
 *   <li>{@code conv:CxHxW:FxKHxKW}: {@code y = Conv(x, w, bias)} on an f32[1, C, H, W] input, F
 *       filters of KH×KW, stride 1, padding KH/2 and KW/2 (which keeps H×W for odd kernels)
 * </ul>
 */
public final class SyntheticModels {
  private static final Pattern MATMUL = Pattern.compile("matmul:(\\d+)x(\\d+)x(\\d+)");
  private static final Pattern CONV = Pattern.compile("conv:(\\d+)x(\\d+)x(\\d+):(\\d+)x(\\d+)x(\\d+)");
  private static final long SEED = 0;

  private SyntheticModels() {}

  /** True when {@code spec} names a synthetic model rather than a file. */
  public static boolean isSpec(String spec) {
    return spec.startsWith("matmul:") || spec.startsWith("conv:");
  }

  /** The graph that {@code spec} describes. */
  public static Graph graph(String spec) {
    Matcher m = MATMUL.matcher(spec);
    if (m.matches()) {
      return matmul(size(m, 1), size(m, 2), size(m, 3));
    }
    m = CONV.matcher(spec);
    if (m.matches()) {
      return conv(size(m, 1), size(m, 2), size(m, 3), size(m, 4), size(m, 5), size(m, 6));
    }
    throw new IllegalArgumentException("'" + spec + "' is not a synthetic model: expected "
        + "matmul:MxKxN (e.g. matmul:1024x1024x1024) or conv:CxHxW:FxKHxKW (e.g. conv:64x56x56:64x3x3)");
  }

  /** A file-system-safe name for {@code spec}, e.g. {@code matmul_1024x1024x1024}. */
  public static String fileName(String spec) {
    return spec.replace(':', '_');
  }

  /** Writes {@code spec}'s model as {@code DIR/NAME.onnx} and returns the file. */
  public static Path writeOnnx(String spec, Path directory) throws IOException {
    Path file = directory.resolve(fileName(spec) + ".onnx");
    OnnxModels.write(new KilnModel(graph(spec), Optional.empty()), file);
    return file;
  }

  private static long size(Matcher m, int group) {
    long v;
    try {
      v = Long.parseLong(m.group(group));
    } catch (NumberFormatException e) {
      v = 0;
    }
    if (v < 1 || v > 1 << 20) {
      throw new IllegalArgumentException("'" + m.group() + "': every size must be between 1 and "
          + (1 << 20) + ", got " + m.group(group));
    }
    return v;
  }

  static Graph matmul(long m, long k, long n) {
    GraphBuilder b = Graph.builder("matmul_" + m + "x" + k + "x" + n);
    Value a = b.input("a", TensorType.of(DType.F32, m, k));
    Value w = b.constant("b", weights(new long[] {k, n}, k, 1));
    b.output(b.node("MatMul", List.of(a, w), TensorType.of(DType.F32, m, n), Attributes.EMPTY));
    return b.build();
  }

  static Graph conv(long c, long h, long w, long filters, long kh, long kw) {
    long padH = kh / 2;
    long padW = kw / 2;
    long outH = h + 2 * padH - kh + 1;
    long outW = w + 2 * padW - kw + 1;
    GraphBuilder b = Graph.builder("conv_" + c + "x" + h + "x" + w + "_" + filters + "x" + kh + "x" + kw);
    Value x = b.input("x", TensorType.of(DType.F32, 1, c, h, w));
    Value weight = b.constant("w", weights(new long[] {filters, c, kh, kw}, c * kh * kw, 1));
    Value bias = b.constant("bias", weights(new long[] {filters}, 1, 2));
    Attributes attrs = Attributes.builder()
        .putInts("kernel_shape", kh, kw)
        .putInts("pads", padH, padW, padH, padW)
        .putInts("strides", 1, 1)
        .build();
    b.output(b.node("Conv", List.of(x, weight, bias), TensorType.of(DType.F32, 1, filters, outH, outW),
        attrs));
    return b.build();
  }

  private static Tensor weights(long[] shape, long fanIn, long stream) {
    RandomTensors random = new RandomTensors(SEED + stream, 1);
    TensorWriter t = TensorWriter.of(DType.F32, shape);
    double scale = 1 / Math.sqrt(fanIn);
    for (long i = 0; i < t.size(); i++) {
      t.setDouble(i, random.gaussian() * scale);
    }
    return t.build();
  }
}
