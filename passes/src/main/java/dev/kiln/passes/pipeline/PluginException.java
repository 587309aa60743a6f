package dev.kiln.passes.pipeline;

/** A plugin jar that cannot be used: missing, unreadable, without a plugin, or clashing names. */
public final class PluginException extends RuntimeException {
  public PluginException(String message) {
    super(message);
  }

  public PluginException(String message, Throwable cause) {
    super(message, cause);
  }
}
