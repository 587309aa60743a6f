package dev.kiln.ir.type;

import com.google.common.collect.ImmutableList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** The shape of a tensor: a list of dimensions, empty for a scalar. */
public record Shape(ImmutableList<Dim> dims) {

  public static final Shape SCALAR = new Shape(ImmutableList.of());

  public Shape {
    dims = ImmutableList.copyOf(dims);
  }

  public static Shape of(List<Dim> dims) {
    return new Shape(ImmutableList.copyOf(dims));
  }

  public static Shape of(long... sizes) {
    return new Shape(Arrays.stream(sizes).mapToObj(Dim::of).collect(ImmutableList.toImmutableList()));
  }

  public static Shape of(Dim... dims) {
    return new Shape(ImmutableList.copyOf(dims));
  }

  public int rank() {
    return dims.size();
  }

  public Dim dim(int axis) {
    return dims.get(axis);
  }

  /** True when every dimension is a known size. */
  public boolean isStatic() {
    return dims.stream().allMatch(Dim::isKnown);
  }

  /** The sizes of a static shape; throws when a dimension is symbolic. */
  public long[] toLongArray() {
    long[] sizes = new long[dims.size()];
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = dims.get(i).size();
    }
    return sizes;
  }

  /** Number of elements of a static shape. */
  public long elementCount() {
    long n = 1;
    for (Dim d : dims) {
      n = Math.multiplyExact(n, d.size());
    }
    return n;
  }

  @Override
  public String toString() {
    return dims.stream().map(Dim::toString).collect(Collectors.joining(", ", "[", "]"));
  }
}
