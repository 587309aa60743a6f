package dev.kiln.passes.pipeline;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.regex.Pattern;

/**
 * One typed option of a pass: written {@code name{key=value}} in a pipeline.
 *
 * @param name kebab-case key
 * @param kind its type
 * @param defaultValue the value when the pipeline does not give one
 * @param summary one line for {@code --help} and docs
 */
public record PassOption(String name, OptionKind kind, Object defaultValue, String summary) {
  static final Pattern KEBAB = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");

  public PassOption {
    checkArgument(KEBAB.matcher(name).matches(), "option name '%s' is not kebab-case", name);
    checkArgument(kind.accepts(defaultValue), "the default of option %s is not %s: %s", name,
        kind.expected(), defaultValue);
  }

  public static PassOption ofInt(String name, long defaultValue, String summary) {
    return new PassOption(name, OptionKind.INT, defaultValue, summary);
  }

  public static PassOption ofBool(String name, boolean defaultValue, String summary) {
    return new PassOption(name, OptionKind.BOOL, defaultValue, summary);
  }

  public static PassOption ofString(String name, String defaultValue, String summary) {
    return new PassOption(name, OptionKind.STRING, defaultValue, summary);
  }

  public static PassOption ofInts(String name, java.util.List<Long> defaultValue, String summary) {
    return new PassOption(name, OptionKind.INT_LIST,
        com.google.common.collect.ImmutableList.copyOf(defaultValue), summary);
  }

  @Override
  public String toString() {
    return name + "=" + kind.print(defaultValue);
  }
}
