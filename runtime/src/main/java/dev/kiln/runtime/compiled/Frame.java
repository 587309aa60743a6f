package dev.kiln.runtime.compiled;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Objects;

/**
 * The memory one run of a compiled program works on: for each buffer slot (numbered by the code
 * generator, see {@link FrameLayout}) a Java array and the element offset where the buffer
 * starts in it, plus the executor of parallel loops. Scratch buffers share arena arrays at
 * planned offsets; inputs, outputs and constants usually have an array of their own at offset 0.
 *
 * <p>A frame belongs to one run at a time; the arrays it holds are what the run writes.
 */
public final class Frame {
  private final Object[] arrays;
  private final int[] offsets;
  private final ParallelExecutor parallel;
  /** The kernel running now, so a failure can name its graph node; -1 before the first. */
  private int kernel = -1;
  /** With {@link KernelProfiler} on: nanoseconds per kernel of this run, else null. */
  private long[] kernelNanos;
  private long kernelStart;

  public Frame(Object[] arrays, int[] offsets, ParallelExecutor parallel) {
    checkArgument(arrays.length == offsets.length, "%s arrays but %s offsets", arrays.length,
        offsets.length);
    this.arrays = arrays.clone();
    this.offsets = offsets.clone();
    this.parallel = Objects.requireNonNull(parallel);
  }

  public int slots() {
    return arrays.length;
  }

  public Object array(int slot) {
    return arrays[slot];
  }

  public float[] floats(int slot) {
    return (float[]) arrays[slot];
  }

  public double[] doubles(int slot) {
    return (double[]) arrays[slot];
  }

  public short[] shorts(int slot) {
    return (short[]) arrays[slot];
  }

  public byte[] bytes(int slot) {
    return (byte[]) arrays[slot];
  }

  public int[] ints(int slot) {
    return (int[]) arrays[slot];
  }

  public long[] longs(int slot) {
    return (long[]) arrays[slot];
  }

  /** Element offset of the slot's buffer in its array. */
  public int offset(int slot) {
    return offsets[slot];
  }

  public ParallelExecutor parallel() {
    return parallel;
  }

  /** Called by generated code before each kernel (index in program order). */
  public void enterKernel(int index) {
    if (kernelNanos != null) {
      timeKernel(index);
    }
    kernel = index;
  }

  /** Starts timing kernels (the profiler is on). */
  void profileKernels() {
    kernelNanos = new long[16];
  }

  /** Ends the last kernel's time; returns the time of each kernel entered, or null. */
  long[] endKernels() {
    if (kernelNanos == null) {
      return null;
    }
    timeKernel(-1);
    return java.util.Arrays.copyOf(kernelNanos, kernel + 1);
  }

  private void timeKernel(int next) {
    long now = KernelProfiler.now();
    if (kernel >= 0) {
      if (kernel >= kernelNanos.length) {
        kernelNanos = java.util.Arrays.copyOf(kernelNanos, Math.max(kernel + 1, 2 * kernelNanos.length));
      }
      kernelNanos[kernel] += now - kernelStart;
    }
    kernelStart = now;
  }

  public int currentKernel() {
    return kernel;
  }
}
