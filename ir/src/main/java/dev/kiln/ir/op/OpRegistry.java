package dev.kiln.ir.op;

import com.google.common.collect.ImmutableSortedMap;
import dev.kiln.ir.text.EditDistance;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The operators a graph may use, by name. Immutable; extend with {@link #plus}. */
public final class OpRegistry {
  private static final OpRegistry STANDARD = new OpRegistry(StandardOps.all());

  private final ImmutableSortedMap<String, OpSchema> byName;

  private OpRegistry(Collection<OpSchema> ops) {
    Map<String, OpSchema> m = new LinkedHashMap<>();
    for (OpSchema op : ops) {
      if (m.put(op.name(), op) != null) {
        throw new IllegalArgumentException("operator " + op.name() + " registered twice");
      }
    }
    this.byName = ImmutableSortedMap.copyOf(m);
  }

  /** Every built-in operator. */
  public static OpRegistry standard() {
    return STANDARD;
  }

  /** This registry with more operators (custom or plugin operators). */
  public OpRegistry plus(Collection<OpSchema> more) {
    java.util.List<OpSchema> all = new java.util.ArrayList<>(byName.values());
    all.addAll(more);
    return new OpRegistry(all);
  }

  public Optional<OpSchema> lookup(String op) {
    return Optional.ofNullable(byName.get(op));
  }

  public Collection<OpSchema> all() {
    return byName.values();
  }

  /** The registered name closest to {@code op} by edit distance, for "did you mean" hints. */
  public Optional<String> closest(String op) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String name : byName.keySet()) {
      int d = EditDistance.between(op.toLowerCase(), name.toLowerCase());
      if (d < bestDistance) {
        bestDistance = d;
        best = name;
      }
    }
    return bestDistance <= Math.max(2, op.length() / 3) ? Optional.ofNullable(best) : Optional.empty();
  }
}
