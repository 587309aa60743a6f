package dev.kiln.passes.pipeline;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A sequence of passes and named pipelines, immutable. {@link #parse} reads the pipeline syntax,
 * {@link #toString} prints it back: for a pipeline written canonically (no spaces, options in the
 * order written, strings quoted only when needed) {@code parse(s).toString().equals(s)}.
 *
 * <pre>
 * pipeline := (step (',' step)*)?
 * step     := NAME ('{' (KEY '=' VALUE (',' KEY '=' VALUE)*)? '}')?
 * VALUE    := 32 | true | word | "any text" | [8,64]
 * </pre>
 *
 * A NAME is a pass of the registry or a {@link NamedPipeline} (such as {@code O2}), which stays a
 * named step when printed.
 */
public final class Pipeline {
  /** One element of a pipeline. */
  public sealed interface Step permits PassStep, NamedStep {}

  /** A pass with its options. */
  public record PassStep(PassInfo info, PassOptions options) implements Step {
    @Override
    public String toString() {
      return info.argument() + options;
    }

    /** Builds the configured pass. */
    public Pass create() {
      return info.factory().create(options);
    }
  }

  /** A named pipeline, printed by its name. */
  public record NamedStep(NamedPipeline named, Pipeline expansion) implements Step {
    @Override
    public String toString() {
      return named.name();
    }
  }

  private final ImmutableList<Step> steps;

  public Pipeline(List<? extends Step> steps) {
    this.steps = ImmutableList.copyOf(steps);
  }

  /** The empty pipeline (changes nothing). */
  public static Pipeline empty() {
    return new Pipeline(List.of());
  }

  /** Parses {@code text}; see the class comment for the syntax. */
  public static Pipeline parse(String text, PassRegistry registry) {
    return new PipelineParser(text, registry).parse();
  }

  /** The pass named {@code argument} of {@code registry}, with {@code options} (Long, Boolean, String, List of Long). */
  public static PassStep step(PassRegistry registry, String argument, Map<String, Object> options) {
    PassInfo info = registry.pass(argument).orElseThrow(() -> new IllegalArgumentException(
        "unknown pass '" + argument + "'" + PassRegistry.didYouMean(registry.nearMatches(argument))));
    return new PassStep(info, new PassOptions(info, options));
  }

  public ImmutableList<Step> steps() {
    return steps;
  }

  /** Every pass, named pipelines expanded, in order. */
  public ImmutableList<PassStep> passes() {
    List<PassStep> out = new ArrayList<>();
    for (Step s : steps) {
      switch (s) {
        case PassStep p -> out.add(p);
        case NamedStep n -> out.addAll(n.expansion().passes());
      }
    }
    return ImmutableList.copyOf(out);
  }

  /** This pipeline followed by {@code more}. */
  public Pipeline then(Step... more) {
    return new Pipeline(ImmutableList.<Step>builder().addAll(steps).add(more).build());
  }

  /** Whether some step (named pipelines expanded) is the pass {@code argument}. */
  public boolean contains(String argument) {
    return passes().stream().anyMatch(p -> p.info().argument().equals(argument));
  }

  /** The level of the IR after this pipeline, starting from graph IR. */
  public IrLevel outputLevel() {
    IrLevel level = IrLevel.GRAPH;
    for (PassStep p : passes()) {
      level = p.info().output();
    }
    return level;
  }

  @Override
  public String toString() {
    return steps.stream().map(Step::toString).collect(Collectors.joining(","));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Pipeline p && p.steps.equals(steps);
  }

  @Override
  public int hashCode() {
    return steps.hashCode();
  }
}
