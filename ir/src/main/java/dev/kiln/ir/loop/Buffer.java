package dev.kiln.ir.loop;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.primitives.Longs;
import dev.kiln.ir.type.DType;
import java.util.stream.Collectors;

/**
 * A dense row-major buffer of the loop IR: a tensor made concrete. Buffers are static in shape
 * (compiled code is specialized to shapes) and hold fewer than 2^31 elements, so indices are
 * Java {@code int}s.
 *
 * @param name unique within a program; printed as {@code %name}. Generated code never uses it as
 *     an identifier.
 * @param origin the graph value this buffer holds, for messages and printing; may equal name
 */
public record Buffer(
    String name, DType dtype, ImmutableList<Long> shape, BufferRole role, String origin) {

  public Buffer {
    checkArgument(!name.isEmpty(), "a buffer needs a name");
    shape = ImmutableList.copyOf(shape);
    long n = 1;
    for (long d : shape) {
      checkArgument(d >= 0, "buffer %s has a negative dimension %s", name, shape);
      n = Math.multiplyExact(n, d);
    }
    checkArgument(n < Integer.MAX_VALUE, "buffer %s has %s elements; at most 2^31 - 1 are supported", name, n);
  }

  public static Buffer of(String name, DType dtype, BufferRole role, long... shape) {
    return new Buffer(name, dtype, ImmutableList.copyOf(Longs.asList(shape)), role, name);
  }

  public int rank() {
    return shape.size();
  }

  public long dim(int axis) {
    return shape.get(axis);
  }

  public long[] shapeArray() {
    return Longs.toArray(shape);
  }

  /** Number of elements. */
  public int size() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return (int) n;
  }

  /** Row-major strides in elements. */
  public long[] strides() {
    long[] s = new long[shape.size()];
    long acc = 1;
    for (int i = s.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= shape.get(i);
    }
    return s;
  }

  /** {@code in %x: f32[2, 3]} */
  public String declaration() {
    return role.text() + " " + Names.value(name) + ": " + dtype.text()
        + shape.stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
  }

  @Override
  public String toString() {
    return Names.value(name);
  }
}
