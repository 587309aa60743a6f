package dev.kiln.runtime.compiled;

import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
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
  /*
   * The layout flattened into arrays, so that a run walks a few contiguous arrays rather than
   * the slots' records, buffers and boxed shapes: after a large model's run those are cold, and
   * walking MobileNetV2's 162 slots that way took 34 to 48 us per run before the input copy
   * (a constant-map lookup hashes a buffer's name and shape) and 15 after the kernels. Slot
   * numbers of the inputs and outputs, in order, with their storage and shape; each slot's arena
   * offset (0 outside the arenas).
   */
  private final int[] inputSlots;
  private final int[] outputSlots;
  private final Storage[] inputStorage;
  private final Storage[] outputStorage;
  private final long[][] inputShapes;
  private final long[][] outputShapes;
  private final int[] slotOffsets;
  /**
   * The float constants placed on cache lines: each a {@code float[]} of LINE_FLOATS - 1 spare
   * elements whose data starts at the slot's offset, chosen so that its first element lies on
   * a 64-byte boundary (a heap array's own start is only 8-byte aligned, and vector loads that
   * straddle two lines cost the kernels 4 to 20 %: docs/performance.md, "Aligned weights").
   * The garbage collector may move an array; {@link #keepConstantsAligned} moves the data within
   * it back onto a line between runs. Slots in decreasing size; empty where addresses are unknown.
   */
  private final int[] alignedSlots;
  private final float[][] alignedArrays;
  private final int[] alignedSizes;
  /** Runs since every aligned constant's address was last checked (the largest is, every run). */
  private int runsSinceFullCheck;
  /**
   * Runs hold the read lock while they read the constants' offsets and run the kernels; moving a
   * constant within its array takes the write lock, and is skipped while any run is in flight.
   */
  private final java.util.concurrent.locks.ReentrantReadWriteLock placement =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  /** {@code -Dkiln.alignConstants=false}: float constants stay plain arrays at offset 0 (A/B). */
  private static final boolean ALIGN_CONSTANTS = !"false".equals(System.getProperty("kiln.alignConstants"));
  private static final int LINE_FLOATS = 16;
  /**
   * The slots of float scratch buffers, whose planned offsets (multiples of 16 floats) all move
   * with the float arena's start onto a cache line; empty where addresses are unknown.
   */
  private final int[] alignedScratch;
  /**
   * Per input, whether no kernel writes it: such an input given as a tensor over a whole Java
   * array of its storage type ({@link Tensor#array()}) is read in place, not copied.
   */
  private final boolean[] inputReadOnly;
  /**
   * Whether the last run split a parallel loop (or another run on the executor did meanwhile):
   * if not, the next run does not wake the workers. Racy between concurrent runs: a hint.
   */
  private volatile boolean splitsLoops = true;
  /** Outputs are handed out as the arrays the kernels wrote (no copy) on little-endian hosts. */
  private static final boolean ADOPT_OUTPUTS =
      java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;

  /**
   * What one run at a time owns. {@code slots}: the frame's array of every slot, the constants
   * and the scratch arenas in place; a run sets the inputs' and outputs' entries and clears them
   * before handing the arena back. {@code inputs}: the arrays inputs are copied into, by input
   * (allocated on the first run that copies, reused after: a run allocates nothing but its
   * outputs). {@code outputs}: for {@link #runInto}, the arrays outputs are computed in when the
   * caller's memory cannot be written directly (by output, likewise).
   */
  private record RunArena(Object[] slots, Object[] inputs, Object[] outputs, int[] offsets) {}

  /** Without kernel sources: a failing run names no node ("a kernel"); every input copied. */
  public ExecutableProgram(CompiledProgram program, FrameLayout layout, Map<Buffer, Tensor> constants) {
    this(program, layout, constants, List.of());
  }

  /** Every input copied into the run's arena (for code whose writes are not known). */
  public ExecutableProgram(CompiledProgram program, FrameLayout layout, Map<Buffer, Tensor> constants,
      List<String> kernelSources) {
    this(program, layout, constants, kernelSources, null);
  }

  /**
   * @param constants data of every constant buffer of the layout
   * @param kernelSources each kernel's {@link dev.kiln.ir.loop.Kernel#source()}, in order, to name
   *     the node when a run fails (an integer division by zero)
   * @param written every buffer the kernels write ({@link dev.kiln.ir.loop.Kernel#writes()}): an
   *     input not among them may be read in place; null when not known (every input copied)
   */
  public ExecutableProgram(CompiledProgram program, FrameLayout layout, Map<Buffer, Tensor> constants,
      List<String> kernelSources, java.util.Set<Buffer> written) {
    this.program = program;
    this.layout = layout;
    this.kernelSources = List.copyOf(kernelSources);
    this.inputBuffers = layout.slots().stream().map(FrameLayout.Slot::buffer)
        .filter(b -> b.role() == BufferRole.INPUT).toList();
    this.outputBuffers = layout.slots().stream().map(FrameLayout.Slot::buffer)
        .filter(b -> b.role() == BufferRole.OUTPUT).toList();
    this.constants = new LinkedHashMap<>();
    boolean align = ALIGN_CONSTANTS && HeapAddresses.firstElement(new float[1]) >= 0;
    List<Integer> aligned = new java.util.ArrayList<>();
    for (int i = 0; i < layout.slots().size(); i++) {
      Buffer b = layout.slots().get(i).buffer();
      if (b.role() == BufferRole.CONSTANT) {
        Tensor t = constants.get(b);
        if (t == null) {
          throw new IllegalArgumentException("no data for constant " + b);
        }
        if (align && Storage.of(b.dtype()) == Storage.FLOAT && b.size() >= LINE_FLOATS) {
          // Room to start the data anywhere in the first line (placed by alignConstants).
          float[] spare = new float[b.size() + LINE_FLOATS - 1];
          MemorySegment.copy(t.data(), Storage.FLOAT.tensorLayout(), 0, spare, 0, b.size());
          this.constants.put(b, spare);
          aligned.add(i);
        } else {
          this.constants.put(b, toArray(t));
        }
      }
    }
    this.inputSlots = slotsOf(layout, BufferRole.INPUT);
    this.outputSlots = slotsOf(layout, BufferRole.OUTPUT);
    this.inputStorage = inputBuffers.stream().map(b -> Storage.of(b.dtype())).toArray(Storage[]::new);
    this.outputStorage = outputBuffers.stream().map(b -> Storage.of(b.dtype())).toArray(Storage[]::new);
    this.inputShapes = inputBuffers.stream().map(Buffer::shapeArray).toArray(long[][]::new);
    this.outputShapes = outputBuffers.stream().map(Buffer::shapeArray).toArray(long[][]::new);
    this.slotOffsets = layout.slots().stream().mapToInt(FrameLayout.Slot::arenaOffset).toArray();
    aligned.sort(java.util.Comparator.comparingInt((Integer i) -> layout.slots().get(i).buffer().size()).reversed());
    List<Integer> scratchSlots = new java.util.ArrayList<>();
    for (int i = 0; align && i < layout.slots().size(); i++) {
      Buffer b = layout.slots().get(i).buffer();
      if (b.role() == BufferRole.SCRATCH && Storage.of(b.dtype()) == Storage.FLOAT) {
        scratchSlots.add(i);
      }
    }
    this.alignedScratch = scratchSlots.stream().mapToInt(Integer::intValue).toArray();
    this.alignedSlots = aligned.stream().mapToInt(Integer::intValue).toArray();
    this.alignedArrays = new float[alignedSlots.length][];
    this.alignedSizes = new int[alignedSlots.length];
    for (int k = 0; k < alignedSlots.length; k++) {
      Buffer b = layout.slots().get(alignedSlots[k]).buffer();
      alignedArrays[k] = (float[]) this.constants.get(b);
      alignedSizes[k] = b.size();
    }
    alignConstants();
    this.inputReadOnly = new boolean[inputBuffers.size()];
    for (int j = 0; j < inputReadOnly.length; j++) {
      inputReadOnly[j] = written != null && !written.contains(inputBuffers.get(j));
    }
  }

  /** The element offset in {@code array} that lies on a cache line now (0 to 15), or -1 if unknown. */
  private static int lineOffset(float[] array) {
    long address = HeapAddresses.firstElement(array);
    if (address < 0 || address % Float.BYTES != 0) {
      return -1;
    }
    return (int) (((64 - address % 64) % 64) / Float.BYTES);
  }

  /**
   * Moves each aligned constant's data within its array onto a cache line where the collector
   * moved the array; only while no run is in flight (else a later run does it).
   */
  private void alignConstants() {
    if (alignedSlots.length == 0 || !placement.writeLock().tryLock()) {
      return;
    }
    try {
      for (int k = 0; k < alignedSlots.length; k++) {
        int slot = alignedSlots[k];
        int to = lineOffset(alignedArrays[k]);
        if (to >= 0 && to != slotOffsets[slot]) {
          System.arraycopy(alignedArrays[k], slotOffsets[slot], alignedArrays[k], to, alignedSizes[k]);
          slotOffsets[slot] = to;
        }
      }
    } finally {
      placement.writeLock().unlock();
    }
  }

  /**
   * Before a run: the largest aligned constant checked every run (a young collection moves
   * them all), every one every 256 runs (a full collection may move some); realigned if moved.
   * A racy counter: a hint shared by concurrent runs.
   */
  private void keepConstantsAligned() {
    if (alignedSlots.length == 0) {
      return;
    }
    boolean moved = lineOffset(alignedArrays[0]) != slotOffsets[alignedSlots[0]];
    if (moved || ++runsSinceFullCheck >= 256) {
      runsSinceFullCheck = 0;
      alignConstants();
    }
  }

  /**
   * This run's slot offsets: the constants' current places, and the float scratch buffers'
   * planned offsets moved so that the arena's buffers start on cache lines (scratch holds no data
   * between runs, so the arena's line offset is simply taken anew each run).
   */
  private int[] frameOffsets(RunArena arena) {
    int[] offsets = arena.offsets();
    System.arraycopy(slotOffsets, 0, offsets, 0, offsets.length);
    if (alignedScratch.length > 0) {
      int shift = Math.max(0, lineOffset((float[]) arena.slots()[alignedScratch[0]]));
      for (int slot : alignedScratch) {
        offsets[slot] += shift;
      }
    }
    return offsets;
  }

  private static int[] slotsOf(FrameLayout layout, BufferRole role) {
    List<FrameLayout.Slot> slots = layout.slots();
    return java.util.stream.IntStream.range(0, slots.size())
        .filter(i -> slots.get(i).buffer().role() == role).toArray();
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
    Tensor[] results = run(inOrder(inputs), executor);
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (int j = 0; j < results.length; j++) {
      out.put(outputBuffers.get(j).name(), results[j]);
    }
    return out;
  }

  /**
   * Runs on inputs in {@link #inputBuffers} order and returns the outputs in
   * {@link #outputBuffers} order: {@link #run(Map, ParallelExecutor)} without the maps, for
   * callers that keep inputs by position.
   */
  public Tensor[] run(Tensor[] inputs, ParallelExecutor executor) {
    Object[] arrays = execute(inputs, executor, null);
    Tensor[] out = new Tensor[arrays.length];
    for (int j = 0; j < arrays.length; j++) {
      // A fresh array each run that nothing else keeps: the tensor may own it.
      out[j] = ADOPT_OUTPUTS ? adopt(outputBuffers.get(j).dtype(), outputShapes[j], arrays[j])
          : toTensor(outputBuffers.get(j), arrays[j]);
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
    runInto(inOrder(inputs), executor, into);
  }

  /** {@link #runInto(Map, ParallelExecutor, List)} on inputs in {@link #inputBuffers} order. */
  public void runInto(Tensor[] inputs, ParallelExecutor executor, List<MemorySegment> into) {
    if (into.size() != outputBuffers.size()) {
      throw new IllegalArgumentException(into.size() + " destinations for " + outputBuffers.size() + " outputs");
    }
    execute(inputs, executor, into);
  }

  /** The inputs by buffer name in {@link #inputBuffers} order (null where one is missing). */
  private Tensor[] inOrder(Map<String, Tensor> inputs) {
    Tensor[] ordered = new Tensor[inputBuffers.size()];
    for (int j = 0; j < ordered.length; j++) {
      ordered[j] = inputs.get(inputBuffers.get(j).name());
    }
    return ordered;
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
   * One run; returns the outputs' arrays, in order. With {@code into}, outputs are the caller's
   * arrays (when they can be written directly) or the arena's, copied out after the run.
   */
  private Object[] execute(Tensor[] inputs, ParallelExecutor executor, List<MemorySegment> into) {
    if (inputs.length != inputSlots.length) {
      throw new IllegalArgumentException(inputs.length + " inputs for a program of " + inputSlots.length);
    }
    RunArena arena = takeArena();
    Object[] arrays = arena.slots();
    Object[] outputs = new Object[outputSlots.length];
    // Wakes the executor's workers now, so that they are up by the first parallel loop (their
    // wake-up overlaps the input copies), unless the last run split no loop.
    long splitBefore = executor.loopsSplit();
    executor.beginRun(splitsLoops);
    try {
      // Outputs first, the input copies last: a worker woken by beginRun is up by then, so a
      // large input's copy can be split (below) and the worker is still hot for the first
      // kernel's loop.
      for (int j = 0; j < outputSlots.length; j++) {
        long traced = ParallelTrace.ON ? System.nanoTime() : 0;
        Storage storage = outputStorage[j];
        int size = outputBuffers.get(j).size();
        Object out;
        if (into == null) {
          out = storage.allocate(size);
        } else {
          // The caller's array when the kernels can write it, else the arena's (copied out below).
          out = writableArray(into.get(j), storage, size);
          if (out == null) {
            out = arena.outputs()[j];
            if (out == null) {
              out = storage.allocate(size);
              arena.outputs()[j] = out;
            }
          }
        }
        outputs[j] = out;
        arrays[outputSlots[j]] = out;
        if (ParallelTrace.ON) {
          ParallelTrace.record(ParallelTrace.Kind.SLOT, outputSlots[j], size, traced, -1);
        }
      }
      for (int j = 0; j < inputSlots.length; j++) {
        long traced = ParallelTrace.ON ? System.nanoTime() : 0;
        Buffer b = inputBuffers.get(j);
        Tensor t = inputs[j];
        if (t == null || t.dtype() != b.dtype() || !Arrays.equals(t.shape(), inputShapes[j])) {
          throw new IllegalArgumentException("input " + b + " is " + b.dtype()
              + b.shape() + ", got " + (t == null ? "nothing" : t.type()));
        }
        int slot = inputSlots[j];
        Object in = inputReadOnly[j] ? inPlace(t, inputStorage[j], b.size(), outputs) : null;
        if (in == null) {
          in = arena.inputs()[j];
          if (in == null) {
            in = inputStorage[j].allocate(b.size());
            arena.inputs()[j] = in;
          }
          copyInput(t.data(), inputStorage[j], in, b.size(), executor);
        }
        arrays[slot] = in;
        if (ParallelTrace.ON) {
          ParallelTrace.record(ParallelTrace.Kind.SLOT, slot, b.size(), traced, -1);
        }
      }
      keepConstantsAligned();
      // The constants' offsets are read (the frame copies them) and used under the read lock.
      placement.readLock().lock();
      try {
        Frame frame = new Frame(arrays, frameOffsets(arena), executor);
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
        placement.readLock().unlock();
      }
      if (into != null) {
        // Copied out before the arena goes back to the pool: another run may take it next.
        for (int j = 0; j < outputSlots.length; j++) {
          if (outputs[j] == arena.outputs()[j]) {
            MemorySegment.copy(outputs[j], 0, into.get(j), outputStorage[j].tensorLayout(), 0,
                outputBuffers.get(j).size());
          }
        }
      }
    } finally {
      executor.endRun();
      splitsLoops = executor.loopsSplit() != splitBefore;
      for (int slot : outputSlots) {
        arrays[slot] = null; // the arena keeps no run's output, nor the caller's input, alive
      }
      for (int slot : inputSlots) {
        arrays[slot] = null;
      }
      arenas.add(arena);
    }
    return outputs;
  }

  /**
   * The array of {@code t} when the kernels can read it as the input itself: a whole array of
   * the storage type and size ({@link Tensor#array()}) on a little-endian host, and not one of
   * this run's outputs (a caller's destination array also given as an input would be written
   * while read). Else null: the input is copied.
   */
  private static Object inPlace(Tensor t, Storage storage, int size, Object[] outputs) {
    Object array = ADOPT_OUTPUTS ? t.array().orElse(null) : null;
    if (array == null || array.getClass() != storage.arrayClass()
        || java.lang.reflect.Array.getLength(array) != size) {
      return null;
    }
    for (Object out : outputs) {
      if (out == array) {
        return null;
      }
    }
    return array;
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

  /** Inputs of at least this many elements are copied in pieces the executor may split. */
  static final int PARALLEL_COPY_ELEMENTS = 1 << 18;
  /** Elements per piece of a split input copy. */
  private static final int COPY_PIECE = 1 << 16;

  /*
   * Why a large input is copied on the executor: a run's input copy is serial time before the
   * first kernel (a 1024 x 1024 f32 input: ~0.3 ms, against 6 ms for its GEMM on 2 threads), and
   * the worker woken by beginRun is otherwise idle then; whether the split pays is the executor's
   * call, on the copy's measured time, as for any loop.
   */
  private static void copyInput(MemorySegment from, Storage storage, Object to, int size, ParallelExecutor executor) {
    if (size < PARALLEL_COPY_ELEMENTS || executor.threads() == 1) {
      MemorySegment.copy(from, storage.tensorLayout(), 0, to, 0, size);
      return;
    }
    long bytes = storage.elementBytes();
    executor.forRange((size + COPY_PIECE - 1) / COPY_PIECE, (lo, hi) -> {
      int start = lo * COPY_PIECE;
      int end = (int) Math.min(size, (long) hi * COPY_PIECE);
      MemorySegment.copy(from, storage.tensorLayout(), start * bytes, to, start, end - start);
    });
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
    Map<Storage, Object> scratch = new EnumMap<>(Storage.class);
    // The float arena has room to start its buffers on a cache line (scratchOffsets).
    layout.arenaElements().forEach((s, n) -> scratch.put(s,
        s.allocate(s == Storage.FLOAT && alignedScratch.length > 0 ? n + LINE_FLOATS - 1 : n)));
    List<FrameLayout.Slot> slots = layout.slots();
    Object[] arrays = new Object[slots.size()];
    for (int i = 0; i < arrays.length; i++) {
      Buffer b = slots.get(i).buffer();
      switch (b.role()) {
        case CONSTANT -> arrays[i] = constants.get(b);
        case SCRATCH -> arrays[i] = scratch.get(slots.get(i).storage());
        case INPUT, OUTPUT -> { } // set by each run
      }
    }
    return new RunArena(arrays, new Object[inputSlots.length], new Object[outputSlots.length],
        new int[slotOffsets.length]);
  }

  /**
   * A tensor over a storage array itself, no copy (its bytes are the little-endian tensor
   * storage on a little-endian host); the caller gives the array up.
   */
  public static Tensor adopt(DType dtype, long[] shape, Object array) {
    MemorySegment data = switch (array) {
      case float[] x -> MemorySegment.ofArray(x);
      case double[] x -> MemorySegment.ofArray(x);
      case short[] x -> MemorySegment.ofArray(x);
      case byte[] x -> MemorySegment.ofArray(x);
      case int[] x -> MemorySegment.ofArray(x);
      case long[] x -> MemorySegment.ofArray(x);
      default -> throw new IllegalStateException("not a storage array: " + array.getClass());
    };
    return Tensor.wrap(dtype, shape, data);
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
