package dev.kiln.runtime.interpreter;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The sizes that symbolic dimensions ({@code N}) take in one run, and which tensor fixed each:
 * the first tensor to show a name binds it, and every later one must agree. One instance per
 * run, confined to the running thread.
 */
public final class DimBindings {
  private record Binding(long size, String source) {}

  private final Map<String, Binding> byName = new HashMap<>();

  /**
   * Checks {@code actual} against {@code declared} and, when it fits, binds the names it shows
   * for the first time to {@code source}. Returns what does not fit, phrased to follow the
   * tensor's name: {@code "dim 1 is 5 but is declared 4 (f32[N, 4])"}.
   */
  public Optional<String> match(String source, TensorType declared, Tensor actual) {
    if (actual.dtype() != declared.dtype()) {
      return Optional.of("has element type " + actual.dtype() + " but is declared " + declared);
    }
    Shape shape = declared.shape();
    if (actual.rank() != shape.rank()) {
      return Optional.of("has rank " + actual.rank() + " (shape " + Shape.of(actual.shape())
          + ") but is declared " + declared);
    }
    Map<String, Binding> fresh = new LinkedHashMap<>();
    for (int i = 0; i < shape.rank(); i++) {
      long size = actual.dim(i);
      switch (shape.dim(i)) {
        case Dim.Known known -> {
          if (known.size() != size) {
            return Optional.of("dim " + i + " is " + size + " but is declared " + known.size()
                + " (" + declared + ")");
          }
        }
        case Dim.Named named -> {
          Binding bound = byName.get(named.name());
          if (bound == null) {
            bound = fresh.get(named.name());
          }
          if (bound == null) {
            fresh.put(named.name(), new Binding(size, source));
          } else if (bound.size() != size) {
            String where = bound.source().equals(source) ? "dim " + indexOf(shape, named)
                + " of the same tensor" : bound.source();
            return Optional.of("dim " + i + " is " + named.name() + " = " + size + " but "
                + where + " gave " + named.name() + " = " + bound.size());
          }
        }
        case Dim.Unknown unknown -> {
          // Any size is fine: an unknown dim relates to nothing else.
        }
      }
    }
    byName.putAll(fresh);
    return Optional.empty();
  }

  private static int indexOf(Shape shape, Dim dim) {
    return shape.dims().indexOf(dim);
  }
}
