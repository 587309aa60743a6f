package dev.kiln.passes.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Pipeline strings: round trip, typed options, named pipelines, and every error with its column. */
class PipelineTest {
  /** The standard passes plus a test pass with one option of each kind. */
  static final PassRegistry REGISTRY = PassRegistry.standard().toBuilder()
      .register(PassInfo.graph("tile", "a test pass with options", List.of(
          PassOption.ofInt("size", 32, "tile size"),
          PassOption.ofBool("fast", false, "go fast"),
          PassOption.ofString("mode", "auto", "a mode"),
          PassOption.ofInts("sizes", List.of(8L, 64L), "sizes")), options -> (g, c) -> g))
      .build();

  @ParameterizedTest
  @ValueSource(strings = {
      "", "dce", "dce,dce", "tile{size=8}", "tile{sizes=[8,64],size=4}", "tile{sizes=[]}",
      "tile{mode=\"two words\"}", "tile{mode=a.b-c/d:e}", "tile{fast=true,mode=\"q\\\"uote\"}",
      "O2", "bind-shapes,graph-cleanup,lower-graph-to-loops,schedule{lanes=8,parallel=false},plan-memory",
      "tile{}"})
  void canonicalPipelinesPrintBackExactly(String text) {
    String expected = text.equals("tile{}") ? "tile" : text;
    assertEquals(expected, Pipeline.parse(text, REGISTRY).toString());
    assertEquals(Pipeline.parse(text, REGISTRY), Pipeline.parse(expected, REGISTRY));
  }

  @Test
  void spacesAreAllowedAndDropped() {
    assertEquals("dce,tile{size=3,fast=true}",
        Pipeline.parse("  dce ,  tile { size = 3 , fast = true } ", REGISTRY).toString());
  }

  @Test
  void optionsAreTypedWithDefaults() {
    Pipeline p = Pipeline.parse("tile{size=8,sizes=[1,2,3]}", REGISTRY);
    PassOptions o = ((Pipeline.PassStep) p.steps().get(0)).options();
    assertEquals(8, o.integer("size"));
    assertEquals(false, o.bool("fast"));
    assertEquals("auto", o.string("mode"));
    assertEquals(ImmutableList.of(1L, 2L, 3L), o.ints("sizes"));
  }

  @Test
  void namedPipelinesExpandAndPrintByName() {
    Pipeline p = Pipeline.parse("O1", REGISTRY);
    assertEquals("O1", p.toString());
    assertEquals(List.of("bind-shapes", "lower-graph-to-loops", "schedule", "plan-memory"),
        p.passes().stream().map(s -> s.info().argument()).toList());
    assertEquals(IrLevel.LOOPS, p.outputLevel());
    assertTrue(Pipeline.parse("O3", REGISTRY).contains("dce"));
  }

  @Test
  void stepsBuiltInJavaPrintLikeParsedOnes() {
    Pipeline p = Pipeline.empty().then(Pipeline.step(REGISTRY, "dce", Map.of()),
        Pipeline.step(REGISTRY, "tile", Map.of("size", 4L)));
    assertEquals("dce,tile{size=4}", p.toString());
    assertEquals(p, Pipeline.parse("dce,tile{size=4}", REGISTRY));
  }

  record Bad(String pipeline, int column, String problem) {}

  static List<Bad> badPipelines() {
    return List.of(
        new Bad("dce,cze", 5, "unknown pass 'cze' (did you mean 'cse' or 'dce'?)"),
        new Bad("lower-graph-loops", 1, "unknown pass 'lower-graph-loops' (did you mean 'lower-graph-to-loops'?)"),
        new Bad("frobnicate", 1, "unknown pass 'frobnicate'; see 'kiln passes' for the list"),
        new Bad("dce,,dce", 5, "expected a pass name, got ','"),
        new Bad("dce,", 5, "expected a pass name after ','"),
        new Bad("dce dce", 5, "expected ',' between passes, got 'd'"),
        new Bad("tile{size=x}", 11, "option 'size' of pass 'tile': expected an integer, got 'x'"),
        new Bad("tile{fast=yes}", 11, "option 'fast' of pass 'tile': expected true or false, got 'yes'"),
        new Bad("tile{sizes=[1,x]}", 12, "option 'sizes' of pass 'tile': expected an integer, got 'x'"),
        new Bad("tile{sizes=[1,2}", 12, "unterminated list: expected ']'"),
        new Bad("tile{mode=\"abc}", 11, "unterminated string: expected '\"'"),
        new Bad("tile{mode=a b}", 11, "option 'mode' of pass 'tile': expected a string (quote it when it has "
            + "characters other than letters, digits and _ . - / :), got 'a b'"),
        new Bad("tile{size=1,size=2}", 13, "option 'size' is given twice"),
        new Bad("tile{colour=1}", 6, "pass 'tile' has no option 'colour'; its options are size=32, fast=false, "
            + "mode=auto, sizes=[8,64]"),
        new Bad("dce{x=1}", 5, "pass 'dce' has no option 'x' (it takes none)"),
        new Bad("tile{size}", 10, "expected '=' after option 'size'"),
        new Bad("tile{size=}", 11, "expected a value for option 'size' (an integer)"),
        new Bad("tile{size=1", 12, "expected '}' to close the options of tile"),
        new Bad("tile{size=1;fast=true}", 11, "option 'size' of pass 'tile': expected an integer, got '1;fast=true'"),
        new Bad("O1{x=1}", 3, "'O1' is a named pipeline; it takes no options"),
        new Bad("lower-graph-to-loops,dce", 22, "pass 'dce' works on graph IR, but the IR is loop IR here "
            + "(after 'lower-graph-to-loops' at column 1)"),
        new Bad("O1,dce", 4, "pass 'dce' works on graph IR, but the IR is loop IR here (after 'O1' at column 1)"),
        new Bad("schedule", 1, "pass 'schedule' works on loop IR, but the IR is graph IR here"),
        new Bad("O1,O1", 4, "in named pipeline O1 = 'bind-shapes,lower-graph-to-loops,schedule,plan-memory': "
            + "pass 'bind-shapes' works on graph IR, but the IR is loop IR here (after 'O1' at column 1)"));
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.MethodSource("badPipelines")
  void errorsNameTheColumn(Bad bad) {
    PipelineException e = assertThrows(PipelineException.class, () -> Pipeline.parse(bad.pipeline(), REGISTRY));
    assertEquals(bad.problem(), e.problem());
    assertEquals(bad.column(), e.column(), e.getMessage());
    assertEquals("pipeline column " + bad.column() + ": " + bad.problem() + "\n  " + bad.pipeline() + "\n  "
        + " ".repeat(bad.column() - 1) + "^", e.getMessage());
  }

  @Test
  void aNamedPipelineThatNamesItselfIsRefused() {
    PassRegistry r = PassRegistry.builder().pipeline(new NamedPipeline("loop", "x", "dce,loop"))
        .register(PassInfo.graph("dce", "d", (g, c) -> g)).build();
    PipelineException e = assertThrows(PipelineException.class, () -> r.parse("loop"));
    assertEquals("in named pipeline loop = 'dce,loop': named pipeline 'loop' refers to itself", e.problem());
  }

  @Test
  void registryRefusesDuplicatesAndBadNames() {
    var b = PassRegistry.standard().toBuilder();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> b.register(PassInfo.graph("dce", "again", (g, c) -> g)));
    assertEquals("'dce' is already registered as a pass", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> PassInfo.graph("Fold_Things", "x", (g, c) -> g));
    assertEquals("pass name 'Fold_Things' is not kebab-case", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> PassOption.ofInt("n", 1, "x").kind().parse("1.5"));
    assertEquals("expected an integer, got '1.5'", e.getMessage());
  }

  @Test
  void nearMatchesAreClosestFirst() {
    assertEquals(List.of("dce"), REGISTRY.nearMatches("dec"));
    assertEquals(List.of("schedule"), REGISTRY.nearMatches("schedul"));
    assertEquals(List.of(), REGISTRY.nearMatches("xyzzy-plugh"));
  }

  /** Seeded random pipelines of every pass and option kind print, parse and print again to the same text. */
  @Test
  void randomPipelinesRoundTrip() {
    java.util.Random rnd = new java.util.Random(7);
    List<PassInfo> graphPasses = REGISTRY.passes().values().stream()
        .filter(p -> p.input() == IrLevel.GRAPH && p.output() == IrLevel.GRAPH).toList();
    List<PassInfo> loopPasses = REGISTRY.passes().values().stream()
        .filter(p -> p.input() == IrLevel.LOOPS).toList();
    for (int n = 0; n < 300; n++) {
      List<Pipeline.Step> steps = new java.util.ArrayList<>();
      for (int i = rnd.nextInt(4); i > 0; i--) {
        steps.add(randomStep(graphPasses.get(rnd.nextInt(graphPasses.size())), rnd));
      }
      if (rnd.nextBoolean()) {
        steps.add(Pipeline.step(REGISTRY, "bind-shapes", Map.of()));
        steps.add(Pipeline.step(REGISTRY, "lower-graph-to-loops", Map.of()));
        for (int i = rnd.nextInt(3); i > 0; i--) {
          steps.add(randomStep(loopPasses.get(rnd.nextInt(loopPasses.size())), rnd));
        }
      }
      Pipeline p = new Pipeline(steps);
      String text = p.toString();
      Pipeline parsed = Pipeline.parse(text, REGISTRY);
      assertEquals(p, parsed, text);
      assertEquals(text, parsed.toString());
    }
  }

  private static Pipeline.PassStep randomStep(PassInfo info, java.util.Random rnd) {
    Map<String, Object> options = new java.util.LinkedHashMap<>();
    for (PassOption o : info.options()) {
      if (rnd.nextBoolean()) {
        continue;
      }
      options.put(o.name(), switch (o.kind()) {
        case INT -> (long) rnd.nextInt(200) - 100;
        case BOOL -> rnd.nextBoolean();
        case STRING -> List.of("auto", "a b", "q\"uote", "back\\slash", "x,y}", "").get(rnd.nextInt(6));
        case INT_LIST -> ImmutableList.copyOf(java.util.stream.LongStream.range(0, rnd.nextInt(4))
            .map(i -> rnd.nextInt(100)).boxed().toList());
      });
    }
    return Pipeline.step(REGISTRY, info.argument(), options);
  }
}
