package dev.kiln.passes.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.LoopVerifier;
import dev.kiln.ir.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class PackTest {
  @Test
  void panelsOfASplitColumnLoopIndexByItsParts() {
    // Rule: w[k, n] -> w[n / nr, k, n % nr]; with n = j.o * nr + j.i that is w[j.o, k, j.i].
    Schedule s = Schedule.of(Fixtures.matmul(2, 5, 6));
    s.split("j", 3);
    LoopProgram before = Fixtures.program(3, s.kernel());
    LoopProgram packed = Pack.pack(before, "w", new Layout.Panels(1, 3));
    assertEquals("""
        program p(in %a: f32[2, 5]) -> (out %c: f32[2, 6]) {
          const %w: f32[2, 5, 3]
          kernel matmul @"MatMul"(in %a, const %w, out %c) {
            for i in 0..2 {
              for j.o in 0..2 {
                for j.i in 0..3 {
                  let $acc: f32 = 0.0:f32
                  for k in 0..5 {
                    $acc = ($acc + (%a[i, k] * %w[j.o, k, j.i]))
                  }
                  %c[i, ((j.o * 3) + j.i)] = $acc
                }
              }
            }
          }
        }
        """, packed.toString());
    assertEquals(List.of(), LoopVerifier.verify(packed));
    assertEquals(Fixtures.run(before, 5), Fixtures.run(packed, 5));
    Tensor w = before.constants().values().iterator().next();
    Tensor p = packed.constants().values().iterator().next();
    assertEquals(w.getDouble(1 * 6 + 4), p.getDouble(1 * 15 + 1 * 3 + 1), "w[1, 4] is packed at [1, 1, 1]");
  }

  @Test
  void aPartialLastPanelIsPaddedWithZeros() {
    // Rule: panels(1, 4) of [5, 6] is [2, 5, 4]; an unsplit index n becomes floordiv/floormod.
    LoopProgram before = Fixtures.program(3, Fixtures.matmul(2, 5, 6));
    LoopProgram packed = Pack.pack(before, "w", new Layout.Panels(1, 4));
    Kernel k = packed.kernels().getFirst();
    assertEquals("const %w: f32[2, 5, 4]", k.buffers().get(1).declaration());
    String text = k.toString();
    assertEquals(true, text.contains("%w[floordiv(j, 4), k, floormod(j, 4)]"), text);
    assertEquals(List.of(), LoopVerifier.verify(packed));
    assertEquals(Fixtures.run(before, 5), Fixtures.run(packed, 5));
    Tensor p = packed.constants().values().iterator().next();
    assertEquals(0.0, p.getDouble(1 * 20 + 0 * 4 + 2), "column 6 does not exist: padding");
  }

  @Test
  void permuteTransposesAConstant() {
    // Rule: permute(1, 0) stores w[k, n] at [n, k].
    LoopProgram before = Fixtures.program(4, Fixtures.conv(2, 3, 5, 3));
    LoopProgram packed = Pack.pack(before, "w", Layout.Permute.of(2, 3, 1, 0));
    String text = packed.kernels().getFirst().toString();
    assertEquals(true, text.contains("%w[kh, kw, c, f]"), text);
    assertEquals(List.of(), LoopVerifier.verify(packed));
    assertEquals(Fixtures.run(before, 5), Fixtures.run(packed, 5));
  }

  @Test
  void preconditions() {
    LoopProgram p = Fixtures.program(3, Fixtures.matmul(2, 5, 6));
    ScheduleException e = assertThrows(ScheduleException.class, () -> Pack.pack(p, "q", new Layout.Panels(1, 4)));
    assertEquals("pack(q, panels(1, 4)) in program p: precondition 1: there is no buffer %q", e.getMessage());
    assertEquals(ScheduleError.UNKNOWN_BUFFER, e.kind());
    e = assertThrows(ScheduleException.class, () -> Pack.pack(p, "a", new Layout.Panels(1, 4)));
    assertEquals("pack(a, panels(1, 4)) in program p: precondition 2: %a is input, not a constant", e.getMessage());
    assertEquals(ScheduleError.NOT_CONSTANT, e.kind());
    e = assertThrows(ScheduleException.class, () -> Pack.pack(p, "w", new Layout.Panels(2, 4)));
    assertEquals("pack(w, panels(2, 4)) in program p: precondition 3: axis 2 is not a dim of a rank-2 buffer "
        + "(%w is [5, 6])", e.getMessage());
    e = assertThrows(ScheduleException.class, () -> Pack.pack(p, "w", new Layout.Panels(1, 0)));
    assertEquals("pack(w, panels(1, 0)) in program p: precondition 3: the panel width must be at least 1, got 0 "
        + "(%w is [5, 6])", e.getMessage());
    e = assertThrows(ScheduleException.class, () -> Pack.pack(p, "w", Layout.Permute.of(0, 0)));
    assertEquals("pack(w, permute(0, 0)) in program p: precondition 3: permute(0, 0) is not a permutation "
        + "of the 2 dims (%w is [5, 6])", e.getMessage());
    assertEquals(ScheduleError.BAD_LAYOUT, e.kind());
  }
}
