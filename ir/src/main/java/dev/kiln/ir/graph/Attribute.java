package dev.kiln.ir.graph;

import com.google.common.collect.ImmutableList;
import com.google.common.primitives.Floats;
import com.google.common.primitives.Longs;
import dev.kiln.ir.tensor.Tensor;
import java.util.List;

/** An attribute value of a node. ONNX float attributes are 32-bit, and so are Kiln's. */
public sealed interface Attribute {

  /** One switch over the sealed records, rather than an override in each of them. */
  default AttributeKind kind() {
    return switch (this) {
      case IntAttr a -> AttributeKind.INT;
      case FloatAttr a -> AttributeKind.FLOAT;
      case StringAttr a -> AttributeKind.STRING;
      case IntsAttr a -> AttributeKind.INTS;
      case FloatsAttr a -> AttributeKind.FLOATS;
      case StringsAttr a -> AttributeKind.STRINGS;
      case TensorAttr a -> AttributeKind.TENSOR;
    };
  }

  record IntAttr(long value) implements Attribute {}

  record FloatAttr(float value) implements Attribute {
    // Compare bits so that NaN attributes are equal to themselves and 0.0 != -0.0.
    @Override
    public boolean equals(Object o) {
      return o instanceof FloatAttr f
          && Float.floatToIntBits(f.value) == Float.floatToIntBits(value);
    }

    @Override
    public int hashCode() {
      return Float.floatToIntBits(value);
    }
  }

  record StringAttr(String value) implements Attribute {}

  record IntsAttr(ImmutableList<Long> values) implements Attribute {
    public IntsAttr {
      values = ImmutableList.copyOf(values);
    }

    public long[] toArray() {
      return Longs.toArray(values);
    }
  }

  record FloatsAttr(ImmutableList<Float> values) implements Attribute {
    public FloatsAttr {
      values = ImmutableList.copyOf(values);
    }

    public float[] toArray() {
      return Floats.toArray(values);
    }
  }

  record StringsAttr(ImmutableList<String> values) implements Attribute {
    public StringsAttr {
      values = ImmutableList.copyOf(values);
    }
  }

  record TensorAttr(Tensor value) implements Attribute {}

  static Attribute of(long value) {
    return new IntAttr(value);
  }

  static Attribute of(float value) {
    return new FloatAttr(value);
  }

  static Attribute of(String value) {
    return new StringAttr(value);
  }

  static Attribute of(Tensor value) {
    return new TensorAttr(value);
  }

  static Attribute ints(long... values) {
    return new IntsAttr(ImmutableList.copyOf(Longs.asList(values)));
  }

  static Attribute ints(List<Long> values) {
    return new IntsAttr(ImmutableList.copyOf(values));
  }

  static Attribute floats(float... values) {
    return new FloatsAttr(ImmutableList.copyOf(Floats.asList(values)));
  }

  static Attribute strings(String... values) {
    return new StringsAttr(ImmutableList.copyOf(values));
  }
}
