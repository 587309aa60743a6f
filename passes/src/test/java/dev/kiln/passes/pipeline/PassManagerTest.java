package dev.kiln.passes.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.passes.shape.ShapeBindingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pass manager: instruments, verify-each, crash reproducers, user errors passed on. */
class PassManagerTest {
  static final String MODEL = """
      model m(%x: f32[N, 4]) -> (%y: f32[N, 4]) {
        %dead = Neg(%x)
        %y = Relu(%x)
      }
      """;

  static Graph graph(String text) {
    return KilnText.parse(text, "test.kiln", Path.of(".")).graph();
  }

  static final IrPrinter KILN = g -> KilnText.print(new KilnModel(g, Optional.empty()));

  /** A pass that throws. */
  static final PassInfo BOOM = PassInfo.graph("boom", "throws", (g, c) -> {
    throw new IllegalStateException("boom");
  });

  /** A pass whose output does not verify (it drops every node but keeps the outputs). */
  static final PassInfo BREAK = PassInfo.graph("break-graph", "drops the nodes",
      (g, c) -> new Graph(g.name(), g.inputs(), g.outputs(), g.constants(), ImmutableList.of()));

  static final PassRegistry REGISTRY = PassRegistry.standard().toBuilder().register(BOOM).register(BREAK).build();

  static Ir run(String pipeline, Graph g, PassManager.Builder configure) {
    return configure.build().run(Ir.of(g), new PassContext() {
      @Override
      public boolean explain() {
        return false;
      }

      @Override
      public void remark(String pattern, String where, String message) {}

      @Override
      public Map<String, long[]> inputShapes() {
        return Map.of("x", new long[] {2, 4});
      }
    });
  }

  @Test
  void printIrAfterAllShowsGraphThenLoopIr() {
    List<String> dumps = new ArrayList<>();
    Pipeline p = REGISTRY.parse("dce,O0");
    Ir out = run("", graph(MODEL), PassManager.builder(p).printer(KILN)
        .instrument(new PrintIrInstrument(PrintIrInstrument.Mode.ALL, java.util.Set.of(), KILN, dumps::add)));
    assertEquals(4, dumps.size());
    assertTrue(dumps.get(0).startsWith("// -----// IR after dce //----- //\nkiln 1\nmodel m(%x: f32[N, 4])"), dumps.get(0));
    assertTrue(!dumps.get(0).contains("Neg"), dumps.get(0));
    assertTrue(dumps.get(1).contains("model m(%x: f32[2, 4]) -> (%y: f32[2, 4])"), dumps.get(1));
    assertTrue(dumps.get(2).startsWith("// -----// IR after lower-graph-to-loops //----- //\nprogram m("), dumps.get(2));
    assertTrue(dumps.get(3).contains("// memory plan"), dumps.get(3));
    assertEquals(IrLevel.LOOPS, out.level());
    assertTrue(((Ir.OfLoops) out).memory().isPresent());
  }

  @Test
  void printIrAfterNamedAndAfterChange() {
    List<String> named = new ArrayList<>();
    run("", graph(MODEL), PassManager.builder(REGISTRY.parse("dce,dce,O0"))
        .instrument(new PrintIrInstrument(PrintIrInstrument.Mode.NAMED, java.util.Set.of("plan-memory"), KILN, named::add)));
    assertEquals(1, named.size());
    assertTrue(named.get(0).startsWith("// -----// IR after plan-memory //----- //"));
    List<String> changed = new ArrayList<>();
    run("", graph(MODEL), PassManager.builder(REGISTRY.parse("dce,dce"))
        .instrument(new PrintIrInstrument(PrintIrInstrument.Mode.CHANGED, java.util.Set.of(), KILN, changed::add)));
    assertEquals(1, changed.size(), "the second dce changes nothing: " + changed);
  }

  @Test
  void timePassesPrintsATable() {
    List<String> tables = new ArrayList<>();
    run("", graph(MODEL), PassManager.builder(REGISTRY.parse("dce,O1")).instrument(new TimingInstrument(tables::add)));
    assertEquals(1, tables.size());
    String t = tables.get(0);
    assertTrue(t.startsWith("===-- pass timing: 5 passes, "), t);
    for (String pass : List.of("dce", "bind-shapes", "lower-graph-to-loops", "schedule", "plan-memory",
        "(verify-each, 5 runs)", "total")) {
      assertTrue(t.contains("%  " + pass + "\n"), pass + " in\n" + t);
    }
  }

  @Test
  void aCrashWritesAReproducer(@TempDir Path dir) throws IOException {
    PassCrashException e = assertThrows(PassCrashException.class, () -> run("", graph(MODEL),
        PassManager.builder(REGISTRY.parse("dce,boom,O1")).printer(KILN).reproducerDirectory(Optional.of(dir))));
    Path file = e.reproducer().orElseThrow();
    assertTrue(file.startsWith(dir));
    assertEquals("boom", e.pass());
    assertEquals("pass 'boom' (step 2 of 6 in dce,boom,O1) threw java.lang.IllegalStateException: boom\n"
        + "  a reproducer (the pipeline's input IR and the pipeline) is in " + file + "\n"
        + "  rerun it with: kiln print " + file + " --passes=dce,boom,O1 --input-shape x=2,4", e.getMessage());
    String text = Files.readString(file);
    assertTrue(text.startsWith("// Kiln pass crash reproducer: pass 'boom' threw java.lang.IllegalStateException: boom\n"
        + "// RUN: --passes=dce,boom,O1 --input-shape x=2,4\nkiln 1\nmodel m("), text);
    // The reproducer is Kiln text: it parses back to the pipeline's input.
    assertEquals(graph(MODEL), KilnText.parse(text, "r.kiln", dir).graph());
  }

  @Test
  void verifyEachCatchesABrokenPass(@TempDir Path dir) {
    PassCrashException e = assertThrows(PassCrashException.class, () -> run("", graph(MODEL),
        PassManager.builder(REGISTRY.parse("break-graph")).reproducerDirectory(Optional.of(dir))));
    assertTrue(e.getMessage().startsWith("pass 'break-graph' (step 1 of 1 in break-graph) produced IR that does not "
        + "verify:\n  "), e.getMessage());
    assertTrue(e.getMessage().contains("%y"), e.getMessage());
    // Without verify-each, the broken graph goes through.
    Ir out = run("", graph(MODEL), PassManager.builder(REGISTRY.parse("break-graph")).verifyEach(false));
    assertEquals(0, out.graph().nodes().size());
  }

  @Test
  void userErrorsPassThroughWithoutReproducer() {
    Graph g = graph(MODEL);
    PassException e = assertThrows(PassException.class,
        () -> PassManager.builder(REGISTRY.parse("O0")).build().run(Ir.of(g)));
    assertEquals("bind-shapes: input %x is f32[N, 4], which is not static, and no input shapes were given "
        + "(give them with --dim or --input-shape)", e.getMessage());
    assertThrows(ShapeBindingException.class, () -> PassManager.builder(REGISTRY.parse("bind-shapes")).build()
        .run(Ir.of(g), new PassContext() {
          public boolean explain() {
            return false;
          }

          public void remark(String p, String w, String m) {}

          public Map<String, long[]> inputShapes() {
            return Map.of("x", new long[] {2, 5});
          }
        }));
    PassException lower = assertThrows(PassException.class,
        () -> PassManager.builder(REGISTRY.parse("lower-graph-to-loops")).build().run(Ir.of(g)));
    assertTrue(lower.getMessage().startsWith("lower-graph-to-loops: "), lower.getMessage());
    assertTrue(lower.getMessage().endsWith("(shapes must be static: run bind-shapes first)"), lower.getMessage());
  }

  @Test
  void aGraphPassGivenLoopIrIsRefused() {
    var loops = PassManager.builder(REGISTRY.parse("O0")).build().run(Ir.of(graph(MODEL.replace("N,", "2,"))));
    PassException e = assertThrows(PassException.class, () -> PassManager.builder(REGISTRY.parse("dce")).build().run(loops));
    assertEquals("pass 'dce' works on graph IR, but it was given loop IR", e.getMessage());
  }

  @Test
  void unchangedGraphIsTheSameInstance() {
    Graph g = graph("model m(%x: f32[4]) -> (%y: f32[4]) {\n  %y = Relu(%x)\n}\n");
    Ir in = Ir.of(g);
    assertSame(in, PassManager.builder(REGISTRY.parse("dce")).build().run(in));
  }

  @Test
  void scheduleOptionsReachTheScheduler() {
    Graph g = graph("model m(%x: f32[64, 64]) -> (%y: f32[64, 64]) {\n  %y = Relu(%x)\n}\n");
    String serial = dev.kiln.ir.loop.LoopPrinter.print(PassManager.builder(
        REGISTRY.parse("bind-shapes,lower-graph-to-loops,schedule{lanes=1,parallel=false}")).build().run(Ir.of(g)).program());
    String parallel = dev.kiln.ir.loop.LoopPrinter.print(PassManager.builder(
        REGISTRY.parse("bind-shapes,lower-graph-to-loops,schedule{lanes=4}")).build().run(Ir.of(g)).program());
    assertTrue(!serial.contains("parallel for") && !serial.contains("vectorized for"), serial);
    assertTrue(parallel.contains("parallel for") && parallel.contains("vectorized for"), parallel);
    PassException e = assertThrows(PassException.class, () -> PassManager.builder(
        REGISTRY.parse("bind-shapes,lower-graph-to-loops,schedule{max-unroll=1000}")).build().run(Ir.of(g)));
    assertTrue(e.getMessage().startsWith("schedule: schedule options out of range"), e.getMessage());
    e = assertThrows(PassException.class, () -> PassManager.builder(
        REGISTRY.parse("bind-shapes,lower-graph-to-loops,plan-memory{alignment=3}")).build().run(Ir.of(g)));
    assertEquals("plan-memory: alignment must be a power of two from 1 to 4096, got 3", e.getMessage());
  }

  @SuppressWarnings("unused")
  private static List<Node> nodes(Ir ir) {
    return ir.graph().nodes();
  }
}
