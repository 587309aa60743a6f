package dev.kiln.runtime.compiled;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.interpreter.RunException;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A compiled program ready to run on tensors: its constants converted to arrays once, and a pool
 * of scratch arenas (one set per concurrent run, reused afterwards). An integer division by zero
 * or an index out of range (read from an input, as Gather's) in a kernel is the user's data at
 * fault: a {@link RunException} naming the kernel's node. Thread-safe: concurrent runs
 * each take their own arenas from the pool, and outputs are fresh arrays every run.
 */
public final class ExecutableProgram {
  private final CompiledProgram program;
  private final FrameLayout layout;
  private final Map<Buffer, Object> constants;
  private final ConcurrentLinkedQueue<Map<Storage, Object>> arenas = new ConcurrentLinkedQueue<>();
  private final List<String> kernelSources;

  /** Without kernel sources: a failing run names no node ("a kernel"). */
  public ExecutableProgram(CompiledProgram program, FrameLayout layout, Map<Buffer, Tensor> constants) {
    this(program, layout, constants, List.of());
  }

  /**
   * @param constants data of every constant buffer of the layout
   * @param kernelSources each kernel's {@link dev.kiln.ir.loop.Kernel#source()}, in order, to name
   *     the node when a run fails (an integer division by zero)
   */
  public ExecutableProgram(CompiledProgram program, FrameLayout layout, Map<Buffer, Tensor> constants,
      List<String> kernelSources) {
    this.program = program;
    this.layout = layout;
    this.kernelSources = List.copyOf(kernelSources);
    this.constants = new LinkedHashMap<>();
    for (FrameLayout.Slot slot : layout.slots()) {
      if (slot.buffer().role() == BufferRole.CONSTANT) {
        Tensor t = constants.get(slot.buffer());
        if (t == null) {
          throw new IllegalArgumentException("no data for constant " + slot.buffer());
        }
        this.constants.put(slot.buffer(), toArray(t));
      }
    }
  }

  public FrameLayout layout() {
    return layout;
  }

  /**
   * Runs on inputs given by input buffer name (already checked against the buffers' types and
   * shapes) and returns the outputs by output buffer name, in order.
   */
  public Map<String, Tensor> run(Map<String, Tensor> inputs, ParallelExecutor executor) {
    List<FrameLayout.Slot> slots = layout.slots();
    Object[] arrays = new Object[slots.size()];
    int[] offsets = new int[slots.size()];
    Map<Storage, Object> arena = takeArena();
    try {
      for (int i = 0; i < slots.size(); i++) {
        FrameLayout.Slot slot = slots.get(i);
        Buffer b = slot.buffer();
        switch (b.role()) {
          case INPUT -> {
            Tensor t = inputs.get(b.name());
            if (t == null || !Arrays.equals(t.shape(), b.shapeArray()) || t.dtype() != b.dtype()) {
              throw new IllegalArgumentException("input " + b + " is " + b.dtype()
                  + b.shape() + ", got " + (t == null ? "nothing" : t.type()));
            }
            arrays[i] = toArray(t);
          }
          case OUTPUT -> arrays[i] = slot.storage().allocate(b.size());
          case CONSTANT -> arrays[i] = constants.get(b);
          case SCRATCH -> {
            arrays[i] = arena.get(slot.storage());
            offsets[i] = slot.arenaOffset();
          }
        }
      }
      Frame frame = new Frame(arrays, offsets, executor);
      boolean profiled = KernelProfiler.on();
      if (profiled) {
        frame.profileKernels();
      }
      try {
        program.run(frame);
        if (profiled) {
          KernelProfiler.record(this, frame.endKernels());
        }
      } catch (ArithmeticException e) {
        throw new RunException(kernelOf(frame) + ": integer "
            + ("/ by zero".equals(e.getMessage()) ? "division by zero" : e.getMessage()));
      } catch (IndexOutOfBoundsException e) {
        // Generated code checks every index it cannot prove in range (indices read from data).
        throw new RunException(kernelOf(frame) + ": an index read from the data is out of range ("
            + e.getMessage() + ")");
      }
    } finally {
      arenas.add(arena);
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (int i = 0; i < slots.size(); i++) {
      Buffer b = slots.get(i).buffer();
      if (b.role() == BufferRole.OUTPUT) {
        out.put(b.name(), toTensor(b, arrays[i]));
      }
    }
    return out;
  }

  /** The program's generated class, for profiles. */
  String name() {
    return program.getClass().getName();
  }

  /** What kernel {@code k} computes (its graph node), or {@code kernel k} when not known. */
  String kernelSource(int k) {
    return k >= 0 && k < kernelSources.size() ? kernelSources.get(k) : "kernel " + k;
  }

  private String kernelOf(Frame frame) {
    int k = frame.currentKernel();
    return k >= 0 && k < kernelSources.size() ? kernelSources.get(k) : "a kernel";
  }

  private Map<Storage, Object> takeArena() {
    Map<Storage, Object> a = arenas.poll();
    if (a != null) {
      return a;
    }
    Map<Storage, Object> fresh = new EnumMap<>(Storage.class);
    layout.arenaElements().forEach((s, n) -> fresh.put(s, s.allocate(n)));
    return fresh;
  }

  /** A copy of a tensor's elements in its storage array type. */
  public static Object toArray(Tensor t) {
    Storage s = Storage.of(t.dtype());
    int n = Math.toIntExact(t.size());
    Object array = s.allocate(n);
    MemorySegment.copy(t.data(), s.tensorLayout(), 0, array, 0, n);
    return array;
  }

  /** A tensor of {@code b}'s type and shape holding a copy of the array's first elements. */
  public static Tensor toTensor(Buffer b, Object array) {
    Storage s = Storage.of(b.dtype());
    byte[] bytes = new byte[b.size() * s.elementBytes()];
    MemorySegment.copy(array, 0, MemorySegment.ofArray(bytes), s.tensorLayout(), 0, b.size());
    return Tensor.wrap(b.dtype(), b.shapeArray(), MemorySegment.ofArray(bytes));
  }
}
