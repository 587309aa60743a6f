package dev.kiln.passes.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.type.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class MemoryPlannerTest {
  static final Function<DType, String> BY_TYPE = d -> switch (d) {
    case F32 -> "float";
    case F64 -> "double";
    case I64 -> "long";
    default -> d.text();
  };

  static Buffer scratch(String name, DType t, long elements) {
    return Buffer.of(name, t, BufferRole.SCRATCH, elements);
  }

  /** Kernel k uses exactly the buffers given for it (bodies do not matter to the planner). */
  static LoopProgram program(List<Buffer> scratch, List<List<Buffer>> uses) {
    List<Kernel> kernels = new ArrayList<>();
    for (int k = 0; k < uses.size(); k++) {
      kernels.add(new Kernel("k" + k, ImmutableList.copyOf(uses.get(k)),
          new Stmt.Block(ImmutableList.of()), "test"));
    }
    return new LoopProgram("p", ImmutableList.of(), ImmutableList.of(), ImmutableMap.of(),
        ImmutableList.copyOf(scratch), ImmutableList.copyOf(kernels));
  }

  static MemoryPlan plan(LoopProgram p) {
    return MemoryPlanner.plan(p, BY_TYPE, 64);
  }

  @Test
  void buffersAliveTogetherGetDisjointBytes() {
    Buffer a = scratch("a", DType.F32, 100);
    Buffer b = scratch("b", DType.F32, 10);
    MemoryPlan plan = plan(program(List.of(a, b), List.of(List.of(a), List.of(a, b), List.of(b))));
    assertEquals(0, plan.placements().get(a).byteOffset());
    assertEquals(448, plan.placements().get(b).byteOffset()); // 400 rounded up to 64
    assertEquals(488, plan.plannedBytes());
    assertEquals(440, plan.sumOfIntermediates());
  }

  @Test
  void buffersWithDisjointLifetimesShareBytes() {
    Buffer a = scratch("a", DType.F32, 100);
    Buffer b = scratch("b", DType.F32, 60);
    MemoryPlan plan = plan(program(List.of(a, b), List.of(List.of(a), List.of(b))));
    assertEquals(0, plan.placements().get(b).byteOffset());
    assertEquals(400, plan.plannedBytes());
    assertEquals(640, plan.sumOfIntermediates());
  }

  @Test
  void aChainReusesMemoryTwoBuffersAtATime() {
    // t0 -> t1 -> t2 -> t3 -> t4, each kernel reading one and writing the next.
    List<Buffer> ts = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ts.add(scratch("t" + i, DType.F32, 256));
    }
    List<List<Buffer>> uses = new ArrayList<>();
    uses.add(List.of(ts.get(0)));
    for (int i = 1; i < 5; i++) {
      uses.add(List.of(ts.get(i - 1), ts.get(i)));
    }
    uses.add(List.of(ts.get(4)));
    MemoryPlan plan = plan(program(ts, uses));
    assertEquals(2 * 1024, plan.plannedBytes());
    assertEquals(5 * 1024, plan.sumOfIntermediates());
    assertTrue(plan.toString().startsWith("planned 2048 bytes for 5120 bytes of intermediates (40.0%)\n"
        + "  arena float: 2048 bytes\n  %t0 float @0 +1024 kernels 0..1\n"), plan.toString());
  }

  @Test
  void arenasAreSeparatePerStorageTypeAndUnusedBuffersTakeNoSpace() {
    Buffer f = scratch("f", DType.F32, 16);
    Buffer l = scratch("l", DType.I64, 16);
    Buffer unused = scratch("u", DType.F32, 1000);
    MemoryPlan plan = plan(program(List.of(f, l, unused), List.of(List.of(f, l))));
    assertEquals(ImmutableMap.of("float", 64L, "long", 128L), plan.arenaBytes());
    assertFalse(plan.placements().get(unused).used());
    assertEquals(0, plan.elementOffset(l));
  }

  @Test
  void noTwoSimultaneouslyLiveBuffersOverlap() {
    DType[] types = {DType.F32, DType.F64, DType.I64, DType.BOOL};
    for (long seed = 0; seed < 200; seed++) {
      Random r = new Random(seed);
      int kernels = 1 + r.nextInt(12);
      List<Buffer> scratch = new ArrayList<>();
      List<List<Buffer>> uses = new ArrayList<>();
      for (int k = 0; k < kernels; k++) {
        uses.add(new ArrayList<>());
      }
      int n = 1 + r.nextInt(15);
      for (int i = 0; i < n; i++) {
        Buffer b = scratch("b" + i, types[r.nextInt(types.length)], r.nextInt(300));
        scratch.add(b);
        int first = r.nextInt(kernels);
        int last = first + r.nextInt(kernels - first);
        for (int k = first; k <= last; k++) {
          if (k == first || k == last || r.nextBoolean()) {
            uses.get(k).add(b);
          }
        }
      }
      MemoryPlan plan = plan(program(scratch, uses));
      long sum = 0;
      for (Buffer a : scratch) {
        MemoryPlan.Placement pa = plan.placements().get(a);
        sum += pa.bytes();
        assertEquals(0, pa.byteOffset() % 64, "seed " + seed + ": " + a + " misaligned\n" + plan);
        assertTrue(pa.byteOffset() + pa.bytes() <= plan.arenaBytes().getOrDefault(pa.arena(), 0L)
            || !pa.used() || pa.bytes() == 0, "seed " + seed + ": " + a + " outside its arena\n" + plan);
        for (Buffer b : scratch) {
          MemoryPlan.Placement pb = plan.placements().get(b);
          if (a != b && pa.liveTogetherWith(pb)) {
            assertFalse(pa.overlapsInMemory(pb), "seed " + seed + ": " + a + " and " + b + " overlap\n" + plan);
          }
        }
      }
      assertEquals(sum, plan.sumOfIntermediates());
    }
  }
}
