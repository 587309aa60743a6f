package dev.kiln.passes.pipeline;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A pass's registry entry: what a pipeline calls it, what it does in one line, its options, the
 * IR level it reads and writes, and how to build it from option values.
 *
 * @param argument the kebab-case name written in pipelines ({@code fold-constants})
 * @param summary one line, shown by {@code kiln passes} and in docs
 * @param input the level it reads
 * @param output the level it writes ({@code lower-graph-to-loops}: graph to loops)
 * @param options its options, in the order they are documented
 * @param factory builds the pass from option values
 */
public record PassInfo(String argument, String summary, IrLevel input, IrLevel output,
    ImmutableList<PassOption> options, Factory factory) {

  /** Builds a configured pass. Throw {@link IllegalArgumentException} for a bad combination. */
  @FunctionalInterface
  public interface Factory {
    Pass create(PassOptions options);
  }

  public PassInfo {
    checkArgument(PassOption.KEBAB.matcher(argument).matches(), "pass name '%s' is not kebab-case", argument);
    checkArgument(!summary.isBlank() && !summary.contains("\n"), "pass %s needs a one-line summary", argument);
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(output, "output");
    options = ImmutableList.copyOf(options);
    Objects.requireNonNull(factory, "factory");
    Set<String> names = new HashSet<>();
    for (PassOption o : options) {
      checkArgument(names.add(o.name()), "pass %s declares option %s twice", argument, o.name());
    }
  }

  /** A graph-to-graph pass without options. */
  public static PassInfo graph(String argument, String summary, GraphPass pass) {
    return new PassInfo(argument, summary, IrLevel.GRAPH, IrLevel.GRAPH, ImmutableList.of(),
        options -> Pass.of(pass));
  }

  /** A graph-to-graph pass with options, built per pipeline from the values written. */
  public static PassInfo graph(String argument, String summary, List<PassOption> options,
      java.util.function.Function<PassOptions, GraphPass> factory) {
    return new PassInfo(argument, summary, IrLevel.GRAPH, IrLevel.GRAPH, ImmutableList.copyOf(options),
        values -> Pass.of(factory.apply(values)));
  }

  public Optional<PassOption> option(String name) {
    return options.stream().filter(o -> o.name().equals(name)).findFirst();
  }

  /** The pass with every option at its default. */
  public Pass create() {
    return factory.create(new PassOptions(this, java.util.Map.of()));
  }
}
