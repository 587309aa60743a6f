package dev.kiln.api;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.type.Dim;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The concrete input shapes an ahead-of-time artifact is compiled for, from sizes of symbolic
 * dimensions ({@code --dim N=8}) and whole input shapes ({@code --input-shape x=1,3,224,224}).
 * A symbolic dimension given neither way is 1, and a note says so.
 *
 * @param shapes every graph input's concrete shape, in input order
 * @param notes what was assumed, one sentence each (e.g. a symbolic dim defaulting to 1)
 */
public record InputShapes(ImmutableMap<String, long[]> shapes, ImmutableList<String> notes) {

  /**
   * @param dims sizes of symbolic dimensions by name
   * @param explicit whole shapes of some inputs by input name
   * @throws IllegalArgumentException naming the option at fault: an unknown input or dimension
   *     name, a negative size, a shape of the wrong rank or against a fixed dim, two sizes for one
   *     symbolic dim, or a dim unknown until run time without an explicit shape
   */
  public static InputShapes resolve(Graph graph, Map<String, Long> dims, Map<String, long[]> explicit) {
    List<String> inputNames = graph.inputs().stream().map(Value::name).toList();
    for (String name : explicit.keySet()) {
      if (!inputNames.contains(name)) {
        throw new IllegalArgumentException("--input-shape " + name + ": the model has no input named '"
            + name + "'; its inputs are " + describe(graph));
      }
    }
    Set<String> symbolic = new LinkedHashSet<>();
    graph.inputs().forEach(v -> v.type().shape().dims().forEach(d -> {
      if (d instanceof Dim.Named n) {
        symbolic.add(n.name());
      }
    }));
    Map<String, Long> bound = new LinkedHashMap<>();
    Map<String, String> boundBy = new LinkedHashMap<>();
    for (Map.Entry<String, Long> d : dims.entrySet()) {
      if (!symbolic.contains(d.getKey())) {
        throw new IllegalArgumentException("--dim " + d.getKey() + ": the model has no symbolic "
            + "dimension named '" + d.getKey() + "'; its inputs are " + describe(graph));
      }
      if (d.getValue() < 0) {
        throw new IllegalArgumentException("--dim " + d.getKey() + " must be >= 0, got " + d.getValue());
      }
      bound.put(d.getKey(), d.getValue());
      boundBy.put(d.getKey(), "--dim " + d.getKey() + "=" + d.getValue());
    }
    for (Value v : graph.inputs()) {
      long[] shape = explicit.get(v.name());
      if (shape != null) {
        bindExplicit(v, shape, bound, boundBy);
      }
    }
    Map<String, long[]> shapes = new LinkedHashMap<>();
    ImmutableList.Builder<String> notes = ImmutableList.builder();
    for (Value v : graph.inputs()) {
      long[] given = explicit.get(v.name());
      if (given != null) {
        shapes.put(v.name(), given.clone());
        continue;
      }
      List<Dim> declared = v.type().shape().dims();
      long[] shape = new long[declared.size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = switch (declared.get(i)) {
          case Dim.Known k -> k.size();
          case Dim.Named n -> {
            if (!bound.containsKey(n.name())) {
              bound.put(n.name(), 1L);
              notes.add("symbolic dimension " + n.name() + " is not given; compiling for "
                  + n.name() + " = 1 (use --dim " + n.name() + "=SIZE)");
            }
            yield bound.get(n.name());
          }
          case Dim.Unknown u -> throw new IllegalArgumentException("input '" + v.name() + "' ("
              + v.type() + ") dim " + i + " has no size known before run time; give its shape "
              + "with --input-shape " + v.name() + "=" + sample(declared));
        };
      }
      shapes.put(v.name(), shape);
    }
    return new InputShapes(ImmutableMap.copyOf(shapes), notes.build());
  }

  private static void bindExplicit(Value v, long[] shape, Map<String, Long> bound,
      Map<String, String> boundBy) {
    String option = "--input-shape " + v.name() + "=" + Arrays.stream(shape)
        .mapToObj(String::valueOf).collect(Collectors.joining(","));
    List<Dim> declared = v.type().shape().dims();
    if (shape.length != declared.size()) {
      throw new IllegalArgumentException(option + ": the shape has rank " + shape.length
          + ", but input '" + v.name() + "' is declared " + v.type() + " (rank " + declared.size() + ")");
    }
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] < 0) {
        throw new IllegalArgumentException(option + ": dim " + i + " is negative");
      }
      switch (declared.get(i)) {
        case Dim.Known k -> {
          if (k.size() != shape[i]) {
            throw new IllegalArgumentException(option + ": dim " + i + " is " + shape[i]
                + ", but input '" + v.name() + "' is declared " + v.type());
          }
        }
        case Dim.Named n -> {
          Long before = bound.get(n.name());
          if (before != null && before != shape[i]) {
            throw new IllegalArgumentException(option + ": dim " + i + " is " + n.name() + " = "
                + shape[i] + ", but " + boundBy.get(n.name()) + " gave " + n.name() + " = " + before);
          }
          bound.put(n.name(), shape[i]);
          boundBy.putIfAbsent(n.name(), option);
        }
        case Dim.Unknown u -> {
          // Any size: an unknown dim relates to nothing else.
        }
      }
    }
  }

  private static String sample(List<Dim> dims) {
    return dims.stream().map(d -> d instanceof Dim.Known k ? String.valueOf(k.size()) : "SIZE")
        .collect(Collectors.joining(","));
  }

  private static String describe(Graph graph) {
    return graph.inputs().stream().map(v -> v.name() + ": " + v.type())
        .collect(Collectors.joining(", "));
  }
}
