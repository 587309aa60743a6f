package dev.kiln.passes.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.collect.ImmutableList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TraceTest {
  @Test
  void everyStepKindPrintsAndParsesBack() {
    Trace trace = new Trace(ImmutableList.of(
        new TraceStep.Split("i", 8, "i.o", "i.i"),
        new TraceStep.Tile("i", "j", 4, 16, "i.o", "j.o", "i.i", "j.i"),
        new TraceStep.Reorder(ImmutableList.of("k", "j", "i")),
        new TraceStep.Fuse("i", "j", "i_j"),
        new TraceStep.Vectorize("j.i"),
        new TraceStep.Parallelize("i.o"),
        new TraceStep.Unroll("k"),
        new TraceStep.AccumulateInPlace("j"),
        new TraceStep.Fission("j", ImmutableList.of("j", "j2", "j3")),
        new TraceStep.ComputeAt("relu 1", "weird \"name\"\n")));
    String text = """
        split(i, 8) -> i.o, i.i
        tile(i, j, 4, 16) -> i.o, j.o, i.i, j.i
        reorder(k, j, i)
        fuse(i, j) -> i_j
        vectorize(j.i)
        parallelize(i.o)
        unroll(k)
        accumulate_in_place(j)
        fission(j) -> j, j2, j3
        compute_at("relu 1", "weird \\"name\\"\\n")
        """;
    assertEquals(text, trace.toString());
    assertEquals(trace, Trace.parse(text));
    assertEquals(trace, Trace.parse("# a hand-written schedule\n\n" + text.replace(", ", ",")));
  }

  @Test
  void syntaxErrorsNameLineAndColumn() {
    List<String[]> cases = List.of(
        new String[] {"split(i, 8) -> i.o", "trace line 1:1: split takes 2 arguments and makes 2 loops, got 2 and 1"},
        new String[] {"\nsplat(i, 8)", "trace line 2:1: unknown primitive 'splat' (expected split, tile, reorder, "
            + "fuse, vectorize, parallelize, unroll, accumulate_in_place, fission or compute_at)"},
        new String[] {"split(i, x) -> a, b", "trace line 1:20: expected an integer factor, got 'x'"},
        new String[] {"vectorize(i", "trace line 1:12: expected ')'"},
        new String[] {"vectorize(i) x", "trace line 1:14: unexpected 'x'"},
        new String[] {"unroll(\"k)", "trace line 1:11: unterminated quoted name"},
        new String[] {"(i)", "trace line 1:1: expected a primitive name"},
        new String[] {"fission(j) -> j", "trace line 1:1: fission takes 1 argument and makes at least 2 loops, got 1 and 1"});
    for (String[] c : cases) {
      ScheduleException e = assertThrows(ScheduleException.class, () -> Trace.parse(c[0]), c[0]);
      assertEquals(c[1], e.getMessage(), c[0]);
      assertEquals(ScheduleError.TRACE_SYNTAX, e.kind());
    }
  }

  @Test
  void replayChecksTheLoopsEachStepMakes() {
    Trace wrongNames = Trace.parse("split(k, 4) -> k.outer, k.inner\n");
    ScheduleException e = assertThrows(ScheduleException.class,
        () -> wrongNames.replay(Fixtures.biasRelu(1, 1, 8)));
    assertEquals("trace step 1 (split(k, 4) -> k.outer, k.inner) made loops k.o, k.i on kernel bias_relu",
        e.getMessage());
    assertEquals(ScheduleError.TRACE_MISMATCH, e.kind());
    e = assertThrows(ScheduleException.class,
        () -> Trace.parse("compute_at(exp, j)").replay(Fixtures.biasRelu(1, 1, 8)));
    assertEquals("trace step 1 (compute_at(exp, j)): no producer kernel named exp was given", e.getMessage());
    e = assertThrows(ScheduleException.class,
        () -> Trace.parse("split(i, 2) -> i.o, i.i\nunroll(q)").replay(Fixtures.biasRelu(1, 1, 8)));
    assertEquals("unroll(q) in kernel bias_relu: precondition 1: there is no loop q (loops: i.o, i.i, j, k)",
        e.getMessage());
  }

  @Test
  void aHandWrittenTraceSchedulesAKernel() {
    Schedule s = Trace.parse("""
        tile(i, j, 2, 4) -> i.o, j.o, i.i, j.i
        parallelize(i.o)
        """).replay(Fixtures.matmul(4, 3, 8));
    ScheduleChecks.assertLegal(s, java.util.Map.of(), "");
  }
}
