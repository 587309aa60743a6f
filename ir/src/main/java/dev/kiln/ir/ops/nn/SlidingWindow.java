package dev.kiln.ir.ops.nn;

import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.op.OpException;
import dev.kiln.ir.type.Dim;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The window arithmetic shared by convolution and pooling: how many windows fit along each
 * spatial axis and where each starts, from the kernel size, {@code strides}, {@code dilations},
 * {@code pads} or {@code auto_pad}, and {@code ceil_mode}, as the ONNX spec defines them.
 *
 * <p>Along a spatial axis of size {@code in}, with kernel extent {@code e = (k - 1) * d + 1}:
 *
 * <ul>
 *   <li>NOTSET (explicit pads): {@code out = floor((in + begin + end - e) / s) + 1}, or with ceil
 *       instead of floor in ceil mode. In ceil mode a last window that would start in the end
 *       padding is dropped (as the ONNX reference implementation, onnxruntime and PyTorch do), so
 *       that every window sees at least one element of the input or its begin padding.
 *   <li>SAME_UPPER / SAME_LOWER: {@code out = ceil(in / s)}; the total padding {@code (out - 1) * s
 *       + e - in} is split evenly, the odd element going to the end (UPPER) or the beginning
 *       (LOWER).
 *   <li>VALID: no padding; {@code out = floor((in - e) / s) + 1}.
 * </ul>
 *
 * Window {@code o} reads input positions {@code o * s - begin + j * d} for {@code j < k}; those
 * outside {@code [0, in)} are padding.
 */
public final class SlidingWindow {
  public enum AutoPad {
    NOTSET,
    SAME_UPPER,
    SAME_LOWER,
    VALID
  }

  private final long[] kernel;
  private final long[] strides;
  private final long[] dilations;
  private final long[] pads;
  private final AutoPad autoPad;
  private final boolean ceilMode;

  private SlidingWindow(
      long[] kernel,
      long[] strides,
      long[] dilations,
      long[] pads,
      AutoPad autoPad,
      boolean ceilMode) {
    this.kernel = kernel;
    this.strides = strides;
    this.dilations = dilations;
    this.pads = pads;
    this.autoPad = autoPad;
    this.ceilMode = ceilMode;
  }

  /**
   * Reads and checks the window attributes of an operator.
   *
   * @param kernel the kernel size along each spatial axis (from {@code kernel_shape} or W)
   * @param what the operation, for messages: {@code "convolution"}, {@code "pooling"}
   */
  public static SlidingWindow fromAttributes(Attributes attrs, long[] kernel, String what) {
    int rank = kernel.length;
    for (long k : kernel) {
      if (k <= 0) {
        throw OpException.of(
            "attribute 'kernel_shape' values must be positive, got %s", Arrays.toString(kernel));
      }
    }
    long[] strides = positiveInts(attrs, "strides", rank, what);
    long[] dilations = positiveInts(attrs, "dilations", rank, what);
    String autoPadText = attrs.getString("auto_pad", "NOTSET");
    AutoPad autoPad;
    try {
      autoPad = AutoPad.valueOf(autoPadText);
    } catch (IllegalArgumentException e) {
      throw OpException.of(
          "attribute 'auto_pad' must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '%s'",
          autoPadText);
    }
    long[] pads = new long[2 * rank];
    Optional<long[]> given = attrs.getInts("pads");
    if (given.isPresent()) {
      pads = given.get();
      if (pads.length != 2 * rank) {
        throw OpException.of(
            "attribute 'pads' must have %d values (begin and end of each spatial dim)"
                + " for a %d-D %s, got %s",
            2 * rank, rank, what, Arrays.toString(pads));
      }
      for (long p : pads) {
        if (p < 0) {
          throw OpException.of(
              "attribute 'pads' values must be >= 0, got %s", Arrays.toString(pads));
        }
        // Exporters write all-zero pads next to auto_pad; only real padding conflicts with it.
        if (p != 0 && autoPad != AutoPad.NOTSET) {
          throw OpException.of(
              "attribute 'pads' %s cannot be used together with auto_pad %s",
              Arrays.toString(pads), autoPad);
        }
      }
    }
    long ceil = attrs.getInt("ceil_mode", 0);
    if (ceil != 0 && ceil != 1) {
      throw OpException.of("attribute 'ceil_mode' must be 0 or 1, got %d", ceil);
    }
    return new SlidingWindow(kernel.clone(), strides, dilations, pads, autoPad, ceil == 1);
  }

  private static long[] positiveInts(Attributes attrs, String name, int rank, String what) {
    Optional<long[]> given = attrs.getInts(name);
    if (given.isEmpty()) {
      long[] ones = new long[rank];
      Arrays.fill(ones, 1);
      return ones;
    }
    long[] values = given.get();
    if (values.length != rank) {
      throw OpException.of(
          "attribute '%s' must have %d values for a %d-D %s, got %s",
          name, rank, rank, what, Arrays.toString(values));
    }
    for (long v : values) {
      if (v <= 0) {
        throw OpException.of(
            "attribute '%s' values must be positive, got %s", name, Arrays.toString(values));
      }
    }
    return values;
  }

  public int spatialRank() {
    return kernel.length;
  }

  public long[] kernel() {
    return kernel.clone();
  }

  /** The distance between the starts of consecutive windows along {@code axis}. */
  public long stride(int axis) {
    return strides[axis];
  }

  /** The distance between consecutive kernel taps along {@code axis}. */
  public long dilation(int axis) {
    return dilations[axis];
  }

  /** The span of input positions one window covers along {@code axis}. */
  public long extent(int axis) {
    return (kernel[axis] - 1) * dilations[axis] + 1;
  }

  /**
   * Rejects explicit pads as large as the window: such a window could lie entirely in the
   * padding, where pooling has nothing to take the maximum or average of.
   */
  public void requirePadsSmallerThanWindow() {
    int rank = spatialRank();
    for (int a = 0; a < rank; a++) {
      for (long p : new long[] {pads[a], pads[rank + a]}) {
        if (p >= extent(a)) {
          throw OpException.of(
              "attribute 'pads' %s: padding %d along spatial dim %d is not smaller than the window"
                  + " extent %d, so a window could see only padding",
              Arrays.toString(pads), p, a, extent(a));
        }
      }
    }
  }

  /**
   * The output size along each spatial axis for possibly symbolic input sizes. A symbolic size
   * passes through unchanged when the windows preserve size (stride 1 with "same" padding);
   * otherwise it becomes unknown.
   *
   * @param spatialOffset the index of the first spatial dim in the input, for messages
   */
  List<Dim> outputDims(List<Dim> spatialIn, int spatialOffset, String input) {
    List<Dim> out = new ArrayList<>();
    for (int a = 0; a < spatialRank(); a++) {
      Dim in = spatialIn.get(a);
      if (in.isKnown()) {
        out.add(Dim.of(place(a, in.size(), spatialOffset, input)[0]));
      } else {
        out.add(preservesSize(a) ? in : Dim.UNKNOWN);
      }
    }
    return out;
  }

  private boolean preservesSize(int a) {
    if (strides[a] != 1) {
      return false;
    }
    return switch (autoPad) {
      case SAME_UPPER, SAME_LOWER -> true;
      case VALID -> extent(a) == 1;
      case NOTSET -> pads[a] + pads[spatialRank() + a] == extent(a) - 1;
    };
  }

  /** Output size, begin padding and end padding along one axis of a known size. */
  private long[] place(int a, long in, int spatialOffset, String input) {
    long e = extent(a);
    long s = strides[a];
    switch (autoPad) {
      case SAME_UPPER, SAME_LOWER -> {
        long out = Math.ceilDiv(in, s);
        long total = Math.max(0, (out - 1) * s + e - in);
        long small = total / 2;
        return autoPad == AutoPad.SAME_UPPER
            ? new long[] {out, small, total - small}
            : new long[] {out, total - small, small};
      }
      default -> {
        long begin = autoPad == AutoPad.VALID ? 0 : pads[a];
        long end = autoPad == AutoPad.VALID ? 0 : pads[spatialRank() + a];
        long span = in + begin + end - e;
        if (span < 0) {
          throw OpException.of(
              "the window extent %d (kernel %d, dilation %d) is larger than dim %d of %s, which is"
                  + " %d with padding %d + %d",
              e, kernel[a], dilations[a], spatialOffset + a, input, in, begin, end);
        }
        long out = (ceilMode ? Math.ceilDiv(span, s) : span / s) + 1;
        if (ceilMode && (out - 1) * s >= in + begin) {
          out--;
        }
        return new long[] {out, begin, end};
      }
    }
  }

  /** The windows over an input of known spatial size. */
  public Placement place(long[] spatialIn, int spatialOffset, String input) {
    int rank = spatialRank();
    long[] out = new long[rank];
    long[] begin = new long[rank];
    long[] end = new long[rank];
    for (int a = 0; a < rank; a++) {
      long[] p = place(a, spatialIn[a], spatialOffset, input);
      out[a] = p[0];
      begin[a] = p[1];
      end[a] = p[2];
    }
    return new Placement(spatialIn.clone(), out, begin, end);
  }

  /** The windows over one concrete input: output sizes and the padding actually applied. */
  public final class Placement {
    private final long[] input;
    private final long[] output;
    private final long[] padBegin;
    private final long[] padEnd;

    private Placement(long[] input, long[] output, long[] padBegin, long[] padEnd) {
      this.input = input;
      this.output = output;
      this.padBegin = padBegin;
      this.padEnd = padEnd;
    }

    public long[] outputShape() {
      return output.clone();
    }

    public long[] padBegin() {
      return padBegin.clone();
    }

    public long[] padEnd() {
      return padEnd.clone();
    }

    /**
     * The input coordinate along {@code axis} that kernel tap {@code tap} of window {@code o}
     * reads; outside {@code [0, input size)} when it falls in the padding.
     */
    public long inputCoordinate(int axis, long o, long tap) {
      return o * strides[axis] - padBegin[axis] + tap * dilations[axis];
    }

    /**
     * The row-major flat index within one spatial plane of the input element that tap
     * {@code tap} of window {@code window} reads, or -1 when it falls in the padding.
     */
    public long inputOffset(long[] window, long[] tap) {
      long offset = 0;
      for (int a = 0; a < input.length; a++) {
        long c = inputCoordinate(a, window[a], tap[a]);
        if (c < 0 || c >= input[a]) {
          return -1;
        }
        offset = offset * input[a] + c;
      }
      return offset;
    }

    /**
     * How many taps of a window lie within the padded input {@code [-begin, in + end)}: the
     * divisor of average pooling with {@code count_include_pad}. Taps beyond the end padding
     * (from ceil mode) do not count.
     */
    public long tapsWithinPadding(long[] window) {
      long count = 1;
      for (int a = 0; a < input.length; a++) {
        long inside = 0;
        for (long t = 0; t < kernel[a]; t++) {
          long c = inputCoordinate(a, window[a], t);
          if (c >= -padBegin[a] && c < input[a] + padEnd[a]) {
            inside++;
          }
        }
        count *= inside;
      }
      return count;
    }
  }
}
