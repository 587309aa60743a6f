package dev.kiln.passes.pipeline;

import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.text.EditDistance;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every pass and named pipeline a pipeline string may name. Immutable; {@link #toBuilder()} adds
 * more, e.g. a plugin's ({@link #withPlugins}).
 */
public final class PassRegistry {
  private final ImmutableMap<String, PassInfo> passes;
  private final ImmutableMap<String, NamedPipeline> pipelines;

  private PassRegistry(Map<String, PassInfo> passes, Map<String, NamedPipeline> pipelines) {
    this.passes = ImmutableMap.copyOf(passes);
    this.pipelines = ImmutableMap.copyOf(pipelines);
  }

  /** Kiln's own passes and presets ({@link StandardPasses}). */
  public static PassRegistry standard() {
    return StandardPasses.registry();
  }

  public static Builder builder() {
    return new Builder(new LinkedHashMap<>(), new LinkedHashMap<>());
  }

  public Builder toBuilder() {
    return new Builder(new LinkedHashMap<>(passes), new LinkedHashMap<>(pipelines));
  }

  /**
   * This registry plus the passes of every {@link PassPlugin} found in {@code jars}.
   *
   * @throws PluginException when a jar cannot be read, has no plugin, or registers a name taken
   */
  public PassRegistry withPlugins(List<Path> jars) {
    return PluginLoader.load(this, jars);
  }

  public Optional<PassInfo> pass(String argument) {
    return Optional.ofNullable(passes.get(argument));
  }

  public Optional<NamedPipeline> pipeline(String name) {
    return Optional.ofNullable(pipelines.get(name));
  }

  /** Every pass, in registration order. */
  public ImmutableMap<String, PassInfo> passes() {
    return passes;
  }

  /** Every named pipeline, in registration order. */
  public ImmutableMap<String, NamedPipeline> pipelines() {
    return pipelines;
  }

  /** Parses a pipeline string against this registry. */
  public Pipeline parse(String pipeline) {
    return Pipeline.parse(pipeline, this);
  }

  /** Pass and pipeline names close to {@code name} (a typo, a missing dash), closest first, at most three. */
  public List<String> nearMatches(String name) {
    record Scored(String name, int distance) {}
    List<Scored> scored = new ArrayList<>();
    for (String candidate : concat()) {
      int d = EditDistance.between(
          name.toLowerCase(java.util.Locale.ROOT), candidate.toLowerCase(java.util.Locale.ROOT));
      if (d <= Math.max(2, name.length() / 3) || candidate.contains(name) && name.length() >= 3) {
        scored.add(new Scored(candidate, d));
      }
    }
    return scored.stream().sorted(Comparator.comparingInt(Scored::distance).thenComparing(Scored::name))
        .limit(3).map(Scored::name).toList();
  }

  static String didYouMean(List<String> near) {
    if (near.isEmpty()) {
      return "; see 'kiln passes' for the list";
    }
    return " (did you mean " + String.join(" or ", near.stream().map(n -> "'" + n + "'").toList()) + "?)";
  }

  private List<String> concat() {
    List<String> all = new ArrayList<>(passes.keySet());
    all.addAll(pipelines.keySet());
    return all;
  }

  /** Collects passes and named pipelines; a name is either a pass or a pipeline, once. */
  public static final class Builder {
    private final Map<String, PassInfo> passes;
    private final Map<String, NamedPipeline> pipelines;

    private Builder(Map<String, PassInfo> passes, Map<String, NamedPipeline> pipelines) {
      this.passes = passes;
      this.pipelines = pipelines;
    }

    /** Adds a pass; its name must be new. */
    public Builder register(PassInfo info) {
      checkNew(info.argument());
      passes.put(info.argument(), info);
      return this;
    }

    /** Replaces the pass of the same name (e.g. {@code schedule} with custom schedules). */
    public Builder replace(PassInfo info) {
      if (!passes.containsKey(info.argument())) {
        throw new IllegalArgumentException("no pass '" + info.argument() + "' to replace");
      }
      passes.put(info.argument(), info);
      return this;
    }

    /** Adds a named pipeline; its name must be new. Its text is parsed when a pipeline names it. */
    public Builder pipeline(NamedPipeline pipeline) {
      checkNew(pipeline.name());
      pipelines.put(pipeline.name(), pipeline);
      return this;
    }

    /** Adds or redefines a named pipeline (e.g. to add passes to a preset). */
    public Builder redefine(NamedPipeline pipeline) {
      passes.remove(pipeline.name());
      pipelines.put(pipeline.name(), pipeline);
      return this;
    }

    public boolean has(String name) {
      return passes.containsKey(name) || pipelines.containsKey(name);
    }

    private void checkNew(String name) {
      if (has(name)) {
        throw new IllegalArgumentException("'" + name + "' is already registered as a "
            + (passes.containsKey(name) ? "pass" : "named pipeline"));
      }
    }

    public PassRegistry build() {
      return new PassRegistry(passes, pipelines);
    }
  }
}
