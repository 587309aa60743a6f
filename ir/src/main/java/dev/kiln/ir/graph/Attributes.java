package dev.kiln.ir.graph;

import com.google.common.collect.ImmutableSortedMap;
import dev.kiln.ir.tensor.Tensor;
import java.util.Map;
import java.util.Optional;

/**
 * The attributes of a node, sorted by name so that printing is canonical. The typed getters
 * assume the verifier has checked kinds against the operator schema; a wrong kind here is a bug
 * and throws {@link IllegalStateException}.
 */
public record Attributes(ImmutableSortedMap<String, Attribute> map) {
  public static final Attributes EMPTY = new Attributes(ImmutableSortedMap.of());

  public Attributes {
    map = ImmutableSortedMap.copyOf(map);
  }

  public static Attributes of(Map<String, Attribute> map) {
    return new Attributes(ImmutableSortedMap.copyOf(map));
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.map.putAll(map);
    return b;
  }

  public boolean has(String name) {
    return map.containsKey(name);
  }

  public Optional<Attribute> get(String name) {
    return Optional.ofNullable(map.get(name));
  }

  public boolean isEmpty() {
    return map.isEmpty();
  }

  public long getInt(String name, long fallback) {
    Attribute a = map.get(name);
    return a == null ? fallback : as(name, a, Attribute.IntAttr.class).value();
  }

  public float getFloat(String name, float fallback) {
    Attribute a = map.get(name);
    return a == null ? fallback : as(name, a, Attribute.FloatAttr.class).value();
  }

  public String getString(String name, String fallback) {
    Attribute a = map.get(name);
    return a == null ? fallback : as(name, a, Attribute.StringAttr.class).value();
  }

  public Optional<long[]> getInts(String name) {
    Attribute a = map.get(name);
    return a == null ? Optional.empty() : Optional.of(as(name, a, Attribute.IntsAttr.class).toArray());
  }

  public Optional<float[]> getFloats(String name) {
    Attribute a = map.get(name);
    return a == null
        ? Optional.empty()
        : Optional.of(as(name, a, Attribute.FloatsAttr.class).toArray());
  }

  public Optional<Tensor> getTensor(String name) {
    Attribute a = map.get(name);
    return a == null ? Optional.empty() : Optional.of(as(name, a, Attribute.TensorAttr.class).value());
  }

  private static <T extends Attribute> T as(String name, Attribute a, Class<T> kind) {
    if (!kind.isInstance(a)) {
      throw new IllegalStateException(
          "attribute '" + name + "' is " + a.kind() + ", read as " + kind.getSimpleName());
    }
    return kind.cast(a);
  }

  /** Mutable builder; {@link #build} sorts by name. */
  public static final class Builder {
    private final java.util.TreeMap<String, Attribute> map = new java.util.TreeMap<>();

    public Builder put(String name, Attribute value) {
      map.put(name, value);
      return this;
    }

    public Builder put(String name, long value) {
      return put(name, Attribute.of(value));
    }

    public Builder put(String name, float value) {
      return put(name, Attribute.of(value));
    }

    public Builder put(String name, String value) {
      return put(name, Attribute.of(value));
    }

    public Builder putInts(String name, long... values) {
      return put(name, Attribute.ints(values));
    }

    public Builder putFloats(String name, float... values) {
      return put(name, Attribute.floats(values));
    }

    public Builder remove(String name) {
      map.remove(name);
      return this;
    }

    public Attributes build() {
      return new Attributes(ImmutableSortedMap.copyOf(map));
    }
  }
}
