package dev.kiln.passes.pipeline;

import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Loads {@link PassPlugin}s from jars: one class loader per jar (a child of the loader that has
 * Kiln), and only the plugins defined by that jar, not those already on the class path. The
 * loaders stay open: the passes they define run later.
 */
final class PluginLoader {
  private PluginLoader() {}

  static PassRegistry load(PassRegistry base, List<Path> jars) {
    PassRegistry.Builder builder = base.toBuilder();
    for (Path jar : jars) {
      if (!Files.isRegularFile(jar)) {
        throw new PluginException(jar + ": no such plugin jar");
      }
      URLClassLoader loader;
      try {
        loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, PassPlugin.class.getClassLoader());
      } catch (MalformedURLException e) {
        throw new PluginException(jar + ": not a usable path: " + e.getMessage(), e);
      }
      int found = 0;
      try {
        for (ServiceLoader.Provider<PassPlugin> provider
            : ServiceLoader.load(PassPlugin.class, loader).stream().toList()) {
          if (provider.type().getClassLoader() != loader) {
            continue;
          }
          PassPlugin plugin = provider.get();
          found++;
          try {
            plugin.register(builder);
          } catch (IllegalArgumentException e) {
            throw new PluginException(jar + ": plugin " + plugin.name() + ": " + e.getMessage(), e);
          }
        }
      } catch (ServiceConfigurationError e) {
        throw new PluginException(jar + ": cannot load its plugin: " + e.getMessage(), e);
      }
      if (found == 0) {
        throw new PluginException(jar + ": no pass plugin in it (a plugin jar lists its "
            + PassPlugin.class.getSimpleName() + " implementation in META-INF/services/"
            + PassPlugin.class.getName() + ")");
      }
    }
    return builder.build();
  }
}
