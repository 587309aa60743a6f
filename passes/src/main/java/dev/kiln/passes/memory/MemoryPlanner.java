package dev.kiln.passes.memory;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.type.DType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Places a program's scratch buffers in arenas so that buffers alive at the same time never
 * share bytes, and others may. A buffer is alive from the first kernel that uses it to the last
 * (kernels run in order). Placement is greedy by size with best fit: largest buffers first, each
 * in the smallest gap between the buffers already placed that are alive with it, else after
 * them; offsets are multiples of the alignment (64 bytes: a cache line, and at least a full
 * vector) so vector loads of different buffers never straddle each other's lines.
 */
public final class MemoryPlanner {
  /** Cache line and AVX-512 vector width. */
  public static final int DEFAULT_ALIGNMENT = 64;

  private MemoryPlanner() {}

  /**
   * @param arenaOf the arena a dtype's buffers go to (e.g. its Java array type); buffers of one
   *     arena must have one element size
   */
  public static MemoryPlan plan(LoopProgram program, Function<DType, String> arenaOf, int alignment) {
    checkArgument(alignment > 0 && Integer.bitCount(alignment) == 1,
        "alignment must be a power of two, got %s", alignment);
    Map<Buffer, int[]> lifetimes = lifetimes(program);
    List<Buffer> order = new ArrayList<>(program.scratch());
    Map<Buffer, Integer> position = new HashMap<>();
    for (int i = 0; i < order.size(); i++) {
      position.put(order.get(i), i);
    }
    order.sort(Comparator.comparingLong(MemoryPlanner::bytes).reversed()
        .thenComparingInt(b -> lifetimes.get(b)[0])
        .thenComparingInt(position::get));
    Map<Buffer, MemoryPlan.Placement> placed = new HashMap<>();
    Map<String, Long> arenas = new TreeMap<>();
    long sum = 0;
    for (Buffer b : order) {
      String arena = arenaOf.apply(b.dtype());
      int[] life = lifetimes.get(b);
      long size = bytes(b);
      sum += size;
      if (life[0] < 0 || size == 0) {
        placed.put(b, new MemoryPlan.Placement(arena, 0, size, life[0], life[1]));
        continue;
      }
      MemoryPlan.Placement probe = new MemoryPlan.Placement(arena, 0, size, life[0], life[1]);
      List<MemoryPlan.Placement> neighbours = placed.values().stream()
          .filter(p -> p.arena().equals(arena) && p.liveTogetherWith(probe) && p.bytes() > 0)
          .sorted(Comparator.comparingLong(MemoryPlan.Placement::byteOffset))
          .toList();
      long offset = bestFit(neighbours, size, alignment);
      placed.put(b, new MemoryPlan.Placement(arena, offset, size, life[0], life[1]));
      arenas.merge(arena, offset + size, Math::max);
    }
    Map<Buffer, MemoryPlan.Placement> inOrder = new LinkedHashMap<>();
    program.scratch().forEach(b -> inOrder.put(b, placed.get(b)));
    return new MemoryPlan(ImmutableMap.copyOf(inOrder), ImmutableMap.copyOf(arenas), sum);
  }

  /** The smallest aligned gap between {@code live} (sorted by offset) that holds size, else the end. */
  private static long bestFit(List<MemoryPlan.Placement> live, long size, int alignment) {
    long best = -1;
    long bestGap = Long.MAX_VALUE;
    long free = 0;
    for (MemoryPlan.Placement p : live) {
      long gap = p.byteOffset() - free;
      if (gap >= size && gap < bestGap) {
        best = free;
        bestGap = gap;
      }
      free = Math.max(free, align(p.byteOffset() + p.bytes(), alignment));
    }
    return best >= 0 ? best : free;
  }

  private static long align(long n, int alignment) {
    return (n + alignment - 1) & -(long) alignment;
  }

  private static long bytes(Buffer b) {
    return (long) b.size() * b.dtype().byteSize();
  }

  /** First and last kernel index using each scratch buffer; {-1, -1} when unused. */
  static Map<Buffer, int[]> lifetimes(LoopProgram program) {
    Map<Buffer, int[]> life = new HashMap<>();
    program.scratch().forEach(b -> life.put(b, new int[] {-1, -1}));
    List<Kernel> kernels = program.kernels();
    for (int k = 0; k < kernels.size(); k++) {
      for (Buffer b : kernels.get(k).buffers()) {
        int[] l = life.get(b);
        if (l != null) {
          if (l[0] < 0) {
            l[0] = k;
          }
          l[1] = k;
        }
      }
    }
    return life;
  }
}
