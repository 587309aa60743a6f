package dev.kiln.ir.type;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * One dimension of a tensor shape: a known size, a named symbolic size shared by every tensor
 * that names it (such as the batch {@code N}), or a size nobody knows before run time.
 */
public sealed interface Dim permits Dim.Known, Dim.Named, Dim.Unknown {

  /** A dimension whose size is fixed at compile time. */
  record Known(long size) implements Dim {
    public Known {
      checkArgument(size >= 0, "dimension size must be >= 0, got %s", size);
    }

    @Override
    public String toString() {
      return Long.toString(size);
    }
  }

  /** A symbolic dimension: every occurrence of the same name has the same size at run time. */
  record Named(String name) implements Dim {
    public Named {
      checkArgument(!name.isEmpty(), "a symbolic dimension needs a name");
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** A dimension unknown until run time, unrelated to any other. Printed as {@code ?}. */
  record Unknown() implements Dim {
    @Override
    public String toString() {
      return "?";
    }
  }

  Unknown UNKNOWN = new Unknown();

  static Dim of(long size) {
    return new Known(size);
  }

  static Dim named(String name) {
    return new Named(name);
  }

  default boolean isKnown() {
    return this instanceof Known;
  }

  /** The size of a known dimension; throws for symbolic ones. */
  default long size() {
    if (this instanceof Known k) {
      return k.size();
    }
    throw new IllegalStateException("dimension " + this + " has no static size");
  }
}
