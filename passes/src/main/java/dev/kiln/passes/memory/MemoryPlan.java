package dev.kiln.passes.memory;

import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.Buffer;
import java.util.Map;

/**
 * Where each scratch buffer of a program lives: an arena (one per storage array type) and a
 * byte offset in it. Two buffers share bytes only when no kernel sees both alive.
 *
 * @param placements every scratch buffer, in the program's order
 * @param arenaBytes size of each arena, by arena name
 * @param sumOfIntermediates bytes all scratch buffers would take without sharing
 */
public record MemoryPlan(
    ImmutableMap<Buffer, Placement> placements, ImmutableMap<String, Long> arenaBytes,
    long sumOfIntermediates) {

  /**
   * @param firstKernel index of the first kernel using the buffer; -1 when none does (then it
   *     takes no space)
   * @param lastKernel index of the last kernel using it
   */
  public record Placement(String arena, long byteOffset, long bytes, int firstKernel, int lastKernel) {
    public boolean used() {
      return firstKernel >= 0;
    }

    /** Whether some kernel sees both buffers alive. */
    public boolean liveTogetherWith(Placement o) {
      return used() && o.used() && firstKernel <= o.lastKernel && o.firstKernel <= lastKernel;
    }

    public boolean overlapsInMemory(Placement o) {
      return arena.equals(o.arena) && byteOffset < o.byteOffset + o.bytes
          && o.byteOffset < byteOffset + bytes;
    }
  }

  public MemoryPlan {
    placements = ImmutableMap.copyOf(placements);
    arenaBytes = ImmutableMap.copyOf(arenaBytes);
  }

  /** Bytes of all arenas together. */
  public long plannedBytes() {
    return arenaBytes.values().stream().mapToLong(Long::longValue).sum();
  }

  /** The buffer's offset in elements of its arena array. */
  public int elementOffset(Buffer b) {
    Placement p = placements.get(b);
    if (p == null) {
      throw new IllegalArgumentException(b + " is not a planned scratch buffer");
    }
    return Math.toIntExact(p.byteOffset() / b.dtype().byteSize());
  }

  /** {@code planned 1024 bytes for 4096 bytes of intermediates (25.0%)} then one line per buffer. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append("planned ").append(plannedBytes()).append(" bytes for ").append(sumOfIntermediates)
        .append(" bytes of intermediates");
    if (sumOfIntermediates > 0) {
      sb.append(String.format(" (%.1f%%)", 100.0 * plannedBytes() / sumOfIntermediates));
    }
    sb.append('\n');
    arenaBytes.forEach((a, n) -> sb.append("  arena ").append(a).append(": ").append(n).append(" bytes\n"));
    for (Map.Entry<Buffer, Placement> e : placements.entrySet()) {
      Placement p = e.getValue();
      sb.append("  ").append(e.getKey()).append(" ").append(p.arena()).append(" @")
          .append(p.byteOffset()).append(" +").append(p.bytes())
          .append(p.used() ? " kernels " + p.firstKernel() + ".." + p.lastKernel() : " unused")
          .append('\n');
    }
    return sb.toString();
  }
}
