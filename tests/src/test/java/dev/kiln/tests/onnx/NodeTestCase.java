package dev.kiln.tests.onnx;

import dev.kiln.api.Kiln;
import dev.kiln.frontend.ModelLoadException;
import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.onnx.OnnxModels;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.interpreter.ReferenceInterpreter;
import dev.kiln.runtime.interpreter.RunException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * One ONNX backend node test: a folder with {@code model.onnx} and {@code test_data_set_N/}
 * holding {@code input_K.pb} and {@code output_K.pb}, matched to the graph's inputs and outputs
 * by position. Running it imports the model once, runs every data set on each {@link Runner} (the
 * reference interpreter, the compiled engine at -O3 and at -O1) and compares the outputs.
 */
record NodeTestCase(String name, Path dir) {

  enum Status { PASSED, FAILED, UNSUPPORTED }

  /** The outcome; {@code detail} says what failed or what is unsupported. */
  record Outcome(Status status, String detail) {
    static final Outcome PASS = new Outcome(Status.PASSED, "");
  }

  /**
   * Time spent per runner over all cases (summed over threads): for the compiled engine this is
   * mostly compiling.
   */
  static final Map<Runner, LongAdder> NANOS = new EnumMap<>(Runner.class);

  static {
    for (Runner r : Runner.values()) {
      NANOS.put(r, new LongAdder());
    }
  }

  /** What the compiled engine says of a graph with an operator it has no lowering for. */
  static final String NO_LOWERING = "the compiled engine cannot run ";

  /** The outcome on each runner (a model Kiln refuses to load is unsupported on all). */
  Map<Runner, Outcome> runOnEveryRunner() {
    Map<Runner, Outcome> outcomes = new EnumMap<>(Runner.class);
    KilnModel model;
    try {
      model = OnnxModels.read(dir.resolve("model.onnx"));
    } catch (ModelLoadException e) {
      Outcome refused =
          new Outcome(Status.UNSUPPORTED, firstLine(e.diagnostics().getFirst().message()));
      for (Runner r : Runner.values()) {
        outcomes.put(r, refused);
      }
      return outcomes;
    }
    for (Runner r : Runner.values()) {
      long t0 = System.nanoTime();
      Outcome outcome;
      if (!r.compiled()) {
        outcome = run(model, new ReferenceInterpreter(model.graph(), OpRegistry.standard())::run, null);
      } else {
        try {
          dev.kiln.api.Model compiledModel = Kiln.fromGraph(model.graph(), r.options());
          outcome = run(model, compiledModel::run, compiledModel::runInto);
        } catch (RuntimeException e) {
          outcome = new Outcome(Status.FAILED, "compile: " + firstLine(e.toString()));
        }
      }
      NANOS.get(r).add(System.nanoTime() - t0);
      outcomes.put(r, outcome);
    }
    return outcomes;
  }

  /**
   * @param into when not null, each data set also runs through it ({@code Model.runInto}) into
   *     destinations full of garbage, and must give run's outputs bit for bit
   */
  private Outcome run(KilnModel model, java.util.function.Function<Map<String, Tensor>,
      Map<String, Tensor>> engine,
      java.util.function.BiConsumer<Map<String, Tensor>, Map<String, MemorySegment>> into) {
    for (Path dataSet : dataSets()) {
      List<Tensor> inputs;
      List<Tensor> expected;
      try {
        inputs = tensors(dataSet, "input_");
        expected = tensors(dataSet, "output_");
      } catch (ModelLoadException e) {
        return new Outcome(Status.UNSUPPORTED, "test data: " + firstLine(e.getMessage()));
      }
      List<Value> graphInputs = model.graph().inputs();
      if (inputs.size() != graphInputs.size()) {
        return new Outcome(Status.FAILED, dataSet.getFileName() + " has " + inputs.size()
            + " inputs; the graph has " + graphInputs.size());
      }
      Map<String, Tensor> feed = new HashMap<>();
      for (int i = 0; i < inputs.size(); i++) {
        feed.put(graphInputs.get(i).name(),
            asBf16If(graphInputs.get(i).type().dtype(), inputs.get(i)));
      }
      Map<String, Tensor> results;
      try {
        results = engine.apply(feed);
      } catch (RunException e) {
        String message = firstLine(e.getMessage());
        return new Outcome(message.startsWith(NO_LOWERING) ? Status.UNSUPPORTED : Status.FAILED,
            message.startsWith(NO_LOWERING) ? message : "run: " + message);
      } catch (RuntimeException e) {
        return new Outcome(Status.FAILED, "run: " + firstLine(e.toString()));
      }
      if (into != null) {
        Optional<String> problem = runInto(into, feed, results);
        if (problem.isPresent()) {
          return new Outcome(Status.FAILED, dataSet.getFileName() + " " + problem.get());
        }
      }
      List<Tensor> actual = new ArrayList<>(results.values());
      if (actual.size() != expected.size()) {
        return new Outcome(Status.FAILED, actual.size() + " outputs, expected " + expected.size());
      }
      for (int i = 0; i < expected.size(); i++) {
        Optional<String> diff = TensorComparison.compare(actual.get(i),
            asBf16If(actual.get(i).dtype(), expected.get(i)),
            TensorComparison.RTOL, TensorComparison.ATOL);
        if (diff.isPresent()) {
          return new Outcome(Status.FAILED, dataSet.getFileName() + " output " + i + ": "
              + diff.get());
        }
      }
    }
    return Outcome.PASS;
  }

  /**
   * Runs again into destinations that held garbage: a Java array of the output's storage type
   * where the kernels can write it directly (f32, f64, i32, i64), an off-heap segment (copied
   * into) for the others. Empty if the outputs equal {@code expected} byte for byte.
   */
  private static Optional<String> runInto(
      java.util.function.BiConsumer<Map<String, Tensor>, Map<String, MemorySegment>> into,
      Map<String, Tensor> feed, Map<String, Tensor> expected) {
    Map<String, MemorySegment> destinations = new java.util.LinkedHashMap<>();
    expected.forEach((name, t) -> {
      int n = Math.toIntExact(t.size());
      MemorySegment d = switch (t.dtype()) {
        case F32 -> MemorySegment.ofArray(new float[n]);
        case F64 -> MemorySegment.ofArray(new double[n]);
        case I32 -> MemorySegment.ofArray(new int[n]);
        case I64 -> MemorySegment.ofArray(new long[n]);
        default -> java.lang.foreign.Arena.ofAuto().allocate(Math.max(1, t.data().byteSize()))
            .asSlice(0, t.data().byteSize());
      };
      d.fill((byte) 0x7f);
      destinations.put(name, d);
    });
    try {
      into.accept(feed, destinations);
    } catch (RuntimeException e) {
      return Optional.of("runInto: " + firstLine(e.toString()));
    }
    for (Map.Entry<String, Tensor> e : expected.entrySet()) {
      long at = e.getValue().data().mismatch(destinations.get(e.getKey()));
      if (at >= 0) {
        return Optional.of("runInto: output %" + e.getKey() + " differs from run's at byte " + at);
      }
    }
    return Optional.empty();
  }

  /**
   * numpy has no bfloat16, so the ONNX 1.12 generator stored bf16 test data as UINT16 tensors of
   * the same bits; read them as the bf16 the model declares.
   */
  private static Tensor asBf16If(DType wanted, Tensor t) {
    return wanted == DType.BF16 && t.dtype() == DType.U16
        ? Tensor.wrap(DType.BF16, t.shape(), t.data())
        : t;
  }

  private List<Path> dataSets() {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("test_data_set_"))
          .sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Tensor> tensors(Path dataSet, String prefix) {
    List<Tensor> out = new ArrayList<>();
    for (int k = 0; ; k++) {
      Path f = dataSet.resolve(prefix + k + ".pb");
      if (!Files.exists(f)) {
        return out;
      }
      out.add(OnnxModels.readTensor(f));
    }
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
