package dev.kiln.passes.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kiln.ir.graph.Graph;
import dev.kiln.passes.graph.DeadCodeElimination;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeadCodeEliminationTest {
  @Test
  void removesDeadChainsAndUnusedConstantsAndSaysWhy() {
    Graph g = PassManagerTest.graph("""
        model m(%x: f32[4]) -> (%y: f32[4]) {
          const %c: f32[4] = [1.0, 2.0, 3.0, 4.0]
          const %k: f32[4] = [1.0, 2.0, 3.0, 4.0]
          %a = Add(%x, %c)
          %b = Neg(%a)
          %y = Mul(%x, %k)
        }
        """);
    List<String> remarks = new ArrayList<>();
    Graph out = new DeadCodeElimination().run(g, PassContext.explaining(remarks::add));
    assertEquals(1, out.nodes().size());
    assertEquals(List.of("k"), out.constants().stream().map(c -> c.value().name()).toList());
    assertEquals(List.of("dce: Neg node defining %b: removed: no output is used",
        "dce: Add node defining %a: removed: no output is used"), remarks);
    assertSame(out, new DeadCodeElimination().run(out, PassContext.silent()));
  }
}
