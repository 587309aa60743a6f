package dev.kiln.passes.pipeline;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The option values of one pass in a pipeline: those written, in the order written (so the
 * pipeline prints back as it was written), and the defaults of the rest.
 */
public final class PassOptions {
  private final PassInfo info;
  private final ImmutableMap<String, Object> given;

  PassOptions(PassInfo info, Map<String, Object> given) {
    this.info = info;
    for (var e : given.entrySet()) {
      PassOption option = info.option(e.getKey()).orElseThrow(() -> new IllegalArgumentException(
          "pass " + info.argument() + " has no option " + e.getKey()));
      if (!option.kind().accepts(e.getValue())) {
        throw new IllegalArgumentException("option " + e.getKey() + " of pass " + info.argument()
            + " takes " + option.kind().expected() + ", got " + e.getValue());
      }
    }
    this.given = ImmutableMap.copyOf(new LinkedHashMap<>(given));
  }

  /** The options written in the pipeline, in order. */
  public ImmutableMap<String, Object> given() {
    return given;
  }

  public long integer(String name) {
    return (Long) value(name, OptionKind.INT);
  }

  public boolean bool(String name) {
    return (Boolean) value(name, OptionKind.BOOL);
  }

  public String string(String name) {
    return (String) value(name, OptionKind.STRING);
  }

  @SuppressWarnings("unchecked")
  public ImmutableList<Long> ints(String name) {
    return (ImmutableList<Long>) value(name, OptionKind.INT_LIST);
  }

  private Object value(String name, OptionKind kind) {
    PassOption option = info.option(name).orElseThrow(() -> new IllegalArgumentException(
        "pass " + info.argument() + " has no option " + name));
    if (option.kind() != kind) {
      throw new IllegalArgumentException("option " + name + " of pass " + info.argument() + " is "
          + option.kind() + ", not " + kind);
    }
    return given.getOrDefault(name, option.defaultValue());
  }

  /** {@code {key=value,...}} as written, or empty when no option was given. */
  @Override
  public String toString() {
    if (given.isEmpty()) {
      return "";
    }
    return given.entrySet().stream()
        .map(e -> e.getKey() + "=" + info.option(e.getKey()).orElseThrow().kind().print(e.getValue()))
        .collect(Collectors.joining(",", "{", "}"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PassOptions p && p.info.argument().equals(info.argument()) && p.given.equals(given);
  }

  @Override
  public int hashCode() {
    return info.argument().hashCode() * 31 + given.hashCode();
  }
}
