package dev.kiln.passes.pipeline;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.regex.Pattern;

/**
 * A pipeline with a name, usable wherever a pass name is ({@code -O2} is the pipeline
 * {@code O2}; {@code graph-cleanup} is one of its parts).
 *
 * @param name its name in pipelines: kebab-case, or {@code O0}..{@code O3}
 * @param summary one line
 * @param text the pipeline it stands for, in pipeline syntax (may name other named pipelines)
 */
public record NamedPipeline(String name, String summary, String text) {
  static final Pattern NAME = Pattern.compile("O[0-9]|[a-z][a-z0-9]*(-[a-z0-9]+)*");

  public NamedPipeline {
    checkArgument(NAME.matcher(name).matches(), "pipeline name '%s' is not kebab-case", name);
    checkArgument(!summary.isBlank(), "pipeline %s needs a summary", name);
  }
}
