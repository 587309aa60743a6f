package dev.kiln.bench;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ONNX Runtime Java, configured as the peer Kiln is measured against: the CPU provider with
 * {@code threads} intra-op threads, one inter-op thread, sequential execution, every graph
 * optimization. Inputs become ONNX Runtime tensors once, outside the timed calls.
 */
final class OrtRunner implements EngineRunner {
  /** The ONNX Runtime release on the classpath (the pom pins it). */
  static final String VERSION = "1.23.2";

  private final OrtSession session;
  private final Map<String, OnnxTensor> inputs;
  private final List<String> outputNames;

  private OrtRunner(OrtSession session, Map<String, OnnxTensor> inputs) {
    this.session = session;
    this.inputs = inputs;
    this.outputNames = new ArrayList<>(session.getOutputNames());
  }

  /**
   * Opens {@code onnxFile} and binds {@code inputs}: by name, or by position when the names
   * differ (Kiln's importer may rename a value) and the counts match.
   */
  static OrtRunner open(Path onnxFile, int threads, Map<String, Tensor> inputs) throws OrtException {
    return open(onnxFile, threads, inputs, null);
  }

  /**
   * As {@link #open(Path, int, Map)}, with ONNX Runtime's profiler on when {@code profilePrefix}
   * is not null: it writes a trace of every run to {@code <profilePrefix>_<date>.json}
   * ({@link #endProfiling}).
   */
  static OrtRunner open(Path onnxFile, int threads, Map<String, Tensor> inputs, Path profilePrefix)
      throws OrtException {
    OrtEnvironment env = environment();
    OrtSession session;
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      if (profilePrefix != null) {
        options.enableProfiling(profilePrefix.toString());
      }
      options.setIntraOpNumThreads(threads);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      session = env.createSession(onnxFile.toString(), options);
    }
    Map<String, OnnxTensor> bound = new LinkedHashMap<>();
    try {
      Map<String, NodeInfo> ortInputs = session.getInputInfo();
      List<String> ortNames = new ArrayList<>(ortInputs.keySet());
      List<String> kilnNames = new ArrayList<>(inputs.keySet());
      boolean byName = inputs.keySet().containsAll(ortNames);
      if (!byName && ortNames.size() != kilnNames.size()) {
        throw new IllegalArgumentException("ONNX Runtime sees inputs " + ortNames
            + ", Kiln " + kilnNames);
      }
      for (int i = 0; i < ortNames.size(); i++) {
        Tensor t = inputs.get(byName ? ortNames.get(i) : kilnNames.get(i));
        bound.put(ortNames.get(i), toOrt(env, t));
      }
    } catch (OrtException | RuntimeException e) {
      bound.values().forEach(OnnxTensor::close);
      session.close();
      throw e;
    }
    return new OrtRunner(session, bound);
  }

  /**
   * The inputs as ONNX Runtime declares them (a dynamic dimension becomes a symbolic one), for
   * binding inputs to a model that Kiln could not load.
   */
  static List<Value> declaredInputs(Path onnxFile) throws OrtException {
    List<Value> values = new ArrayList<>();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = environment().createSession(onnxFile.toString(), options)) {
      for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
        if (!(e.getValue().getInfo() instanceof TensorInfo info)) {
          throw new IllegalArgumentException("input '" + e.getKey() + "' is not a tensor");
        }
        List<Dim> dims = new ArrayList<>();
        for (long size : info.getShape()) {
          dims.add(size >= 0 ? new Dim.Known(size) : new Dim.Unknown());
        }
        values.add(new Value(e.getKey(), new TensorType(kilnType(info.type), Shape.of(dims))));
      }
    }
    return values;
  }

  /** The process's ONNX Runtime environment, logging errors only. */
  static OrtEnvironment environment() {
    return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
  }

  @Override
  public String name() {
    return "onnxruntime " + VERSION;
  }

  @Override
  public Map<String, Tensor> outputs() throws OrtException {
    Map<String, Tensor> out = new LinkedHashMap<>();
    try (OrtSession.Result result = session.run(inputs)) {
      for (String name : outputNames) {
        OnnxValue value = result.get(name).orElseThrow();
        if (!(value instanceof OnnxTensor tensor)) {
          throw new IllegalArgumentException("output '" + name + "' is not a tensor");
        }
        out.put(name, fromOrt(tensor));
      }
    }
    return out;
  }

  @Override
  public void runOnce() throws OrtException {
    session.run(inputs).close();
  }

  /** Stops the profiler ({@link #open(Path, int, Map, Path)}) and returns the trace file. */
  Path endProfiling() throws OrtException {
    return Path.of(session.endProfiling());
  }

  @Override
  public void close() {
    inputs.values().forEach(OnnxTensor::close);
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("closing the ONNX Runtime session failed", e);
    }
  }

  private static OnnxTensor toOrt(OrtEnvironment env, Tensor t) throws OrtException {
    byte[] bytes = t.data().toArray(ValueLayout.JAVA_BYTE);
    ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length).order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(bytes).flip();
    return OnnxTensor.createTensor(env, buffer, t.shape(), ortType(t.dtype()));
  }

  private static Tensor fromOrt(OnnxTensor tensor) {
    TensorInfo info = tensor.getInfo();
    ByteBuffer buffer = tensor.getByteBuffer();
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return Tensor.fromBytes(kilnType(info.type), info.getShape(), bytes);
  }

  static OnnxJavaType ortType(DType dtype) {
    return switch (dtype) {
      case F32 -> OnnxJavaType.FLOAT;
      case F64 -> OnnxJavaType.DOUBLE;
      case F16 -> OnnxJavaType.FLOAT16;
      case BF16 -> OnnxJavaType.BFLOAT16;
      case I8 -> OnnxJavaType.INT8;
      case U8 -> OnnxJavaType.UINT8;
      case I16 -> OnnxJavaType.INT16;
      case I32 -> OnnxJavaType.INT32;
      case I64 -> OnnxJavaType.INT64;
      case BOOL -> OnnxJavaType.BOOL;
      default -> throw new IllegalArgumentException(
          "ONNX Runtime Java has no tensor type for " + dtype.name().toLowerCase());
    };
  }

  static DType kilnType(OnnxJavaType type) {
    return switch (type) {
      case FLOAT -> DType.F32;
      case DOUBLE -> DType.F64;
      case FLOAT16 -> DType.F16;
      case BFLOAT16 -> DType.BF16;
      case INT8 -> DType.I8;
      case UINT8 -> DType.U8;
      case INT16 -> DType.I16;
      case INT32 -> DType.I32;
      case INT64 -> DType.I64;
      case BOOL -> DType.BOOL;
      default -> throw new IllegalArgumentException("an ONNX Runtime output of type " + type);
    };
  }
}
