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
 * each take their own arenas (scratch, and the arrays inputs are copied into) from the pool, and
 * outputs are fresh arrays every run, which the output tensors wrap without a copy; or, with
 * {@link #runInto}, the caller's memory.
 */
public final class ExecutableProgram {
  private final CompiledProgram program;
  private final FrameLayout layout;
  private final Map<Buffer, Object> constants;
  private final ConcurrentLinkedQueue<RunArena> arenas = new ConcurrentLinkedQueue<>();
  private final List<String> kernelSources;
  private final List<Buffer> inputBuffers;
  private final List<Buffer> outputBuffers;
  /**
   * Whether the last run split a parallel loop (or another run on the executor did meanwhile):
   * if not, the next run does not wake the workers. Racy between concurrent runs: a hint.
   */
  private volatile boolean splitsLoops = true;
  /** Outputs are handed out as the arrays the kernels wrote (no copy) on little-endian hosts. */
  private static final boolean ADOPT_OUTPUTS =
      java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;

  /**
   * What one run at a time owns: the scratch arenas by storage, and the arrays the inputs are
   * copied into (by slot; allocated on the first run, reused after: a run allocates nothing but
   * its outputs), and for {@link #runInto} the arrays outputs are computed in when the caller's
   * memory cannot be written directly (by slot, likewise).
   */
  private record RunArena(Map<Storage, Object> scratch, Object[] inputs, Object[] outputs) {}

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
    this.inputBuffers = layout.slots().stream().map(FrameLayout.Slot::buffer)
        .filter(b -> b.role() == BufferRole.INPUT).toList();
    this.outputBuffers = layout.slots().stream().map(FrameLayout.Slot::buffer)
        .filter(b -> b.role() == BufferRole.OUTPUT).toList();
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

  /** The input buffers, in slot order. */
  public List<Buffer> inputBuffers() {
    return inputBuffers;
  }

  /** The output buffers, in slot order (the order of {@link #run}'s outputs). */
  public List<Buffer> outputBuffers() {
    return outputBuffers;
  }

  /**
   * Runs on inputs given by input buffer name (already checked against the buffers' types and
   * shapes) and returns the outputs by output buffer name, in order.
   */
  public Map<String, Tensor> run(Map<String, Tensor> inputs, ParallelExecutor executor) {
    Object[] arrays = execute(inputs, executor, null);
    List<FrameLayout.Slot> slots = layout.slots();
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (int i = 0; i < slots.size(); i++) {
      Buffer b = slots.get(i).buffer();
      if (b.role() == BufferRole.OUTPUT) {
        // A fresh array each run that nothing else keeps: the tensor may own it.
        out.put(b.name(), ADOPT_OUTPUTS ? adopt(b, arrays[i]) : toTensor(b, arrays[i]));
      }
    }
    return out;
  }

  /**
   * Runs as {@link #run}, writing the outputs into the caller's memory instead of new arrays:
   * output {@code j} ({@link #outputBuffers} order) into {@code into.get(j)}, as little-endian
   * tensor storage. A segment over a Java array of the output's storage type (a {@code float[]}
   * for f32), exactly its size, is written by the kernels themselves; any other segment receives a
   * copy from an array this program keeps for the purpose. Either way the run allocates nothing.
   *
   * @param into one writable segment per output, each exactly the output's size in bytes, none
   *     overlapping another ({@link #checkDestinations})
   */
  public void runInto(Map<String, Tensor> inputs, ParallelExecutor executor, List<MemorySegment> into) {
    if (into.size() != outputBuffers.size()) {
      throw new IllegalArgumentException(into.size() + " destinations for " + outputBuffers.size() + " outputs");
    }
    execute(inputs, executor, into);
  }

  /**
   * Checks {@code into} as the destinations of this program's outputs ({@link #runInto}), each
   * problem naming the output as {@code names} does (the model's output names, in order).
   *
   * @throws RunException with every problem ({@link OutputDestinations#check})
   */
  public void checkDestinations(List<MemorySegment> into, List<String> names) {
    OutputDestinations.check(into, names,
        outputBuffers.stream().map(b -> b.dtype().text() + Arrays.toString(b.shapeArray())).toList(),
        outputBuffers.stream().map(b -> (long) b.size() * Storage.of(b.dtype()).elementBytes()).toList());
  }

  /**
   * One run; returns the slots' arrays. With {@code into}, output slots are the caller's arrays
   * (when they can be written directly) or the arena's, copied out after the run.
   */
  private Object[] execute(Map<String, Tensor> inputs, ParallelExecutor executor, List<MemorySegment> into) {
    List<FrameLayout.Slot> slots = layout.slots();
    Object[] arrays = new Object[slots.size()];
    int[] offsets = new int[slots.size()];
    RunArena arena = takeArena();
    int output = 0;
    // Wakes the executor's workers now, so that they are up by the first parallel loop (their
    // wake-up overlaps the input copies), unless the last run split no loop.
    long splitBefore = executor.loopsSplit();
    executor.beginRun(splitsLoops);
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
            Object copy = arena.inputs()[i];
            if (copy == null) {
              copy = slot.storage().allocate(b.size());
              arena.inputs()[i] = copy;
            }
            MemorySegment.copy(t.data(), slot.storage().tensorLayout(), 0, copy, 0, b.size());
            arrays[i] = copy;
          }
          case OUTPUT -> {
            if (into == null) {
              arrays[i] = slot.storage().allocate(b.size());
            } else {
              Object direct = writableArray(into.get(output), slot.storage(), b.size());
              if (direct == null) {
                direct = arena.outputs()[i];
                if (direct == null) {
                  direct = slot.storage().allocate(b.size());
                  arena.outputs()[i] = direct;
                }
              }
              arrays[i] = direct;
            }
            output++;
          }
          case CONSTANT -> arrays[i] = constants.get(b);
          case SCRATCH -> {
            arrays[i] = arena.scratch().get(slot.storage());
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
      if (into != null) {
        // Copied out before the arena goes back to the pool: another run may take it next.
        int j = 0;
        for (int i = 0; i < slots.size(); i++) {
          FrameLayout.Slot slot = slots.get(i);
          if (slot.buffer().role() == BufferRole.OUTPUT) {
            MemorySegment d = into.get(j++);
            if (arrays[i] == arena.outputs()[i]) {
              MemorySegment.copy(arrays[i], 0, d, slot.storage().tensorLayout(), 0, slot.buffer().size());
            }
          }
        }
      }
    } finally {
      executor.endRun();
      splitsLoops = executor.loopsSplit() != splitBefore;
      arenas.add(arena);
    }
    return arrays;
  }

  /**
   * The Java array under {@code d} when the kernels can write it as the output itself: a heap
   * segment over a whole array of the storage type, {@code length} elements, on a little-endian
   * host (where the array's bytes are the tensor's). Else null.
   */
  private static Object writableArray(MemorySegment d, Storage storage, int length) {
    if (!ADOPT_OUTPUTS || d.isNative() || d.isReadOnly() || d.address() != 0) {
      return null;
    }
    Object base = d.heapBase().orElse(null);
    if (base == null || base.getClass() != storage.arrayClass()
        || java.lang.reflect.Array.getLength(base) != length) {
      return null;
    }
    return base;
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

  private RunArena takeArena() {
    RunArena a = arenas.poll();
    if (a != null) {
      return a;
    }
    Map<Storage, Object> fresh = new EnumMap<>(Storage.class);
    layout.arenaElements().forEach((s, n) -> fresh.put(s, s.allocate(n)));
    return new RunArena(fresh, new Object[layout.slots().size()], new Object[layout.slots().size()]);
  }

  /** A tensor over the array itself (its bytes are little-endian tensor storage on this host). */
  private static Tensor adopt(Buffer b, Object array) {
    MemorySegment data = switch (array) {
      case float[] x -> MemorySegment.ofArray(x);
      case double[] x -> MemorySegment.ofArray(x);
      case short[] x -> MemorySegment.ofArray(x);
      case byte[] x -> MemorySegment.ofArray(x);
      case int[] x -> MemorySegment.ofArray(x);
      case long[] x -> MemorySegment.ofArray(x);
      default -> throw new IllegalStateException("not a storage array: " + array.getClass());
    };
    Storage s = Storage.of(b.dtype());
    return Tensor.wrap(b.dtype(), b.shapeArray(), data.asSlice(0, (long) b.size() * s.elementBytes()));
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
