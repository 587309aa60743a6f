package dev.kiln.runtime.compiled;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.LoopProgram;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * Where each buffer of a program lives in a {@link Frame}: slots numbered inputs first, then
 * outputs, constants and scratch buffers, each in the program's order; scratch buffers at their
 * planned element offsets in one arena array per {@link Storage}. The code generator reads slot
 * numbers from here and the runtime builds frames from it, so both agree by construction.
 *
 * @param arenaElements elements of each arena (absent: no arena of that storage)
 */
public record FrameLayout(ImmutableList<Slot> slots, ImmutableMap<Storage, Integer> arenaElements) {

  /** One buffer's place; {@code arenaOffset} is its element offset when scratch, else 0. */
  public record Slot(Buffer buffer, int arenaOffset) {
    public Storage storage() {
      return Storage.of(buffer.dtype());
    }
  }

  public FrameLayout {
    slots = ImmutableList.copyOf(slots);
    arenaElements = ImmutableMap.copyOf(arenaElements);
  }

  /**
   * The layout of {@code program} with scratch buffers at {@code scratchOffsets} (elements, in the
   * arena of their storage), arenas as large as the furthest buffer end.
   */
  public static FrameLayout of(LoopProgram program, Map<Buffer, Integer> scratchOffsets) {
    ImmutableList.Builder<Slot> slots = ImmutableList.builder();
    program.inputs().forEach(b -> slots.add(new Slot(b, 0)));
    program.outputs().forEach(b -> slots.add(new Slot(b, 0)));
    program.constants().keySet().forEach(b -> slots.add(new Slot(b, 0)));
    Map<Storage, Integer> arenas = new EnumMap<>(Storage.class);
    for (Buffer b : program.scratch()) {
      Integer offset = scratchOffsets.get(b);
      checkArgument(offset != null, "scratch buffer %s has no planned offset", b);
      slots.add(new Slot(b, offset));
      arenas.merge(Storage.of(b.dtype()), Math.addExact(offset, b.size()), Math::max);
    }
    return new FrameLayout(slots.build(), ImmutableMap.copyOf(arenas));
  }

  /** Every scratch buffer in its own space, one after another (no planning). */
  public static FrameLayout unplanned(LoopProgram program) {
    Map<Storage, Integer> next = new EnumMap<>(Storage.class);
    Map<Buffer, Integer> offsets = new HashMap<>();
    for (Buffer b : program.scratch()) {
      int at = next.getOrDefault(Storage.of(b.dtype()), 0);
      offsets.put(b, at);
      next.put(Storage.of(b.dtype()), Math.addExact(at, b.size()));
    }
    return of(program, offsets);
  }

  /** The slot number of {@code buffer}. */
  public int slotOf(Buffer buffer) {
    for (int i = 0; i < slots.size(); i++) {
      if (slots.get(i).buffer().equals(buffer)) {
        return i;
      }
    }
    throw new IllegalArgumentException("buffer " + buffer + " is not in the program");
  }
}
