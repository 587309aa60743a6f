package dev.kiln.passes.lit;

import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.frontend.Diagnostic;
import dev.kiln.frontend.ModelLoadException;
import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.Dim;
import dev.kiln.passes.pipeline.Ir;
import dev.kiln.passes.pipeline.IrPrinter;
import dev.kiln.passes.pipeline.PassContext;
import dev.kiln.passes.pipeline.PassException;
import dev.kiln.passes.pipeline.PassManager;
import dev.kiln.passes.pipeline.PassRegistry;
import dev.kiln.passes.pipeline.PipelineException;
import dev.kiln.passes.shape.ShapeBindingException;
import dev.kiln.runtime.interpreter.ReferenceInterpreter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every lit file under {@code passes/src/test/lit} (docs/passes.md, "Lit tests"): each case
 * is parsed, run through the RUN line's pipeline with verify-each, printed (graph IR as Kiln text,
 * loop IR as loop IR), and checked with {@link FileCheck}; expected errors must be reported, and
 * no other. When the result is graph IR, the reference interpreter also runs the case before and
 * after the passes on seeded random inputs, and the outputs must agree (unless {@code --no-diff}).
 */
class LitTest {
  static final Path DIR = Path.of("src/test/lit");
  static final IrPrinter PRINTER = g -> KilnText.print(new KilnModel(g, Optional.empty()));

  @TestFactory
  Stream<DynamicNode> litFiles() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(DIR)) {
      files = s.filter(p -> p.toString().endsWith(".kiln")).sorted().toList();
    }
    if (files.isEmpty()) {
      fail("no lit files in " + DIR.toAbsolutePath());
    }
    List<DynamicNode> nodes = new ArrayList<>();
    for (Path f : files) {
      List<DynamicNode> cases = new ArrayList<>();
      for (LitCase c : LitCase.read(f)) {
        cases.add(DynamicTest.dynamicTest(c.toString(), f.toUri(), () -> run(c, PassRegistry.standard())));
      }
      nodes.add(DynamicContainer.dynamicContainer(f.getFileName().toString(), cases));
    }
    return nodes.stream();
  }

  /** Runs one case; throws an AssertionError naming file:line on any mismatch. */
  static void run(LitCase c, PassRegistry registry) {
    List<String> reported = new ArrayList<>();
    List<Integer> reportedLines = new ArrayList<>();
    String output = null;
    Graph input = null;
    Ir result = null;
    try {
      input = KilnText.parse(c.text(), c.file(), DIR).graph();
      var manager = PassManager.builder(registry.parse(c.passes())).printer(PRINTER)
          .reproducerDirectory(Optional.empty()).build();
      result = manager.run(Ir.of(input), context(input, c.dims()));
      output = PRINTER.print(result);
    } catch (ModelLoadException e) {
      for (Diagnostic d : e.diagnostics()) {
        reported.add(d.message());
        reportedLines.add(d.line());
      }
    } catch (PassException | ShapeBindingException | PipelineException e) {
      reported.add(e.getMessage());
      reportedLines.add(-1);
    }
    matchErrors(c, reported, reportedLines, output);
    if (output == null) {
      if (!c.checks().isEmpty()) {
        fail(c + ": the case has CHECK lines but ended in an error: " + reported);
      }
      return;
    }
    try {
      FileCheck.check(output, c.checks());
    } catch (FileCheck.CheckFailure e) {
      throw new AssertionError("case " + c + " (--passes=" + c.passes() + "): " + e.getMessage(), null);
    }
    if (!c.noDiff() && result instanceof Ir.OfGraph g && g.graph() != input) {
      differential(c, input, g.graph());
    }
  }

  private static void matchErrors(LitCase c, List<String> reported, List<Integer> lines, String output) {
    boolean[] used = new boolean[reported.size()];
    for (LitCase.ExpectedError e : c.errors()) {
      boolean found = false;
      for (int i = 0; i < reported.size() && !found; i++) {
        if (!used[i] && reported.get(i).contains(e.text()) && (lines.get(i) == -1 || lines.get(i) == e.line())) {
          used[i] = true;
          found = true;
        }
      }
      if (!found) {
        fail(c.file() + ":" + e.commentLine() + ": expected error {{" + e.text() + "}} at line " + e.line()
            + " was not reported; reported: " + describe(reported, lines)
            + (output == null ? "" : "\n  the output:\n" + output));
      }
    }
    for (int i = 0; i < reported.size(); i++) {
      if (!used[i]) {
        fail(c + ": unexpected error" + (lines.get(i) == -1 ? "" : " at line " + lines.get(i)) + ": "
            + reported.get(i));
      }
    }
  }

  private static String describe(List<String> reported, List<Integer> lines) {
    if (reported.isEmpty()) {
      return "none";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < reported.size(); i++) {
      sb.append("\n  ").append(lines.get(i) == -1 ? "" : "line " + lines.get(i) + ": ").append(reported.get(i));
    }
    return sb.toString();
  }

  /** Shapes for bind-shapes: declared dims, named ones from the RUN line's --dim (default 1). */
  private static PassContext context(Graph g, Map<String, Long> dims) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (Value in : g.inputs()) {
      shapes.put(in.name(), in.type().shape().dims().stream().mapToLong(d -> switch (d) {
        case Dim.Known k -> k.size();
        case Dim.Named n -> dims.getOrDefault(n.name(), 1L);
        case Dim.Unknown u -> 1L;
      }).toArray());
    }
    return new PassContext() {
      public boolean explain() {
        return false;
      }

      public void remark(String pattern, String where, String message) {}

      public Map<String, long[]> inputShapes() {
        return shapes;
      }
    };
  }

  /** The graph before and after the passes agree on seeded random inputs (reals within 1e-5 relative). */
  private static void differential(LitCase c, Graph before, Graph after) {
    Random rnd = new Random(c.firstLine());
    Map<String, Tensor> inputs = new HashMap<>();
    Map<String, long[]> shapes = context(before, c.dims()).inputShapes();
    for (Value in : before.inputs()) {
      inputs.put(in.name(), random(in.type().dtype(), shapes.get(in.name()), rnd));
    }
    Map<String, Tensor> expected = new ReferenceInterpreter(before, OpRegistry.standard()).run(inputs);
    Map<String, Tensor> actual = new ReferenceInterpreter(after, OpRegistry.standard()).run(inputs);
    for (var e : expected.entrySet()) {
      Tensor a = actual.get(e.getKey());
      Tensor x = e.getValue();
      if (a == null || !java.util.Arrays.equals(a.shape(), x.shape()) || a.dtype() != x.dtype()) {
        fail(c + ": after the passes, output %" + e.getKey() + " is " + (a == null ? "missing" : a.type())
            + ", before it was " + x.type());
      }
      for (long i = 0; i < x.size(); i++) {
        double xe = x.getDouble(i);
        double ae = a.getDouble(i);
        boolean same = Double.compare(xe, ae) == 0 || Math.abs(xe - ae) <= 1e-5 + 1e-5 * Math.abs(xe);
        if (!same) {
          fail(c + ": the passes changed the result: output %" + e.getKey() + "[" + i + "] was " + xe
              + " before and is " + ae + " after (seed " + c.firstLine() + ")");
        }
      }
    }
  }

  /** Reals from N(0, 1), integers in [-5, 5] (unsigned [0, 10]), fair booleans. */
  private static Tensor random(dev.kiln.ir.type.DType t, long[] shape, Random rnd) {
    dev.kiln.ir.tensor.TensorWriter w = dev.kiln.ir.tensor.TensorWriter.of(t, shape);
    for (long i = 0; i < w.size(); i++) {
      switch (t) {
        case F32, F64, F16, BF16 -> w.setDouble(i, rnd.nextGaussian());
        case BOOL -> w.setBoolean(i, rnd.nextBoolean());
        case U8, U16, U32, U64 -> w.setLong(i, rnd.nextInt(11));
        default -> w.setLong(i, rnd.nextInt(11) - 5);
      }
    }
    return w.build();
  }
}
