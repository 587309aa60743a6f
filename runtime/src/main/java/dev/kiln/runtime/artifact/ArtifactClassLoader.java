package dev.kiln.runtime.artifact;

import com.google.common.collect.ImmutableMap;
import java.util.Map;
import java.util.Objects;

/**
 * Defines the classes of one loaded artifact, and nothing else: one loader per artifact, a child
 * of the loader of Kiln's runtime, so that the artifact's code links against the runtime and,
 * once the artifact's model is dropped, the JVM can unload its classes.
 *
 * <p>Parent first, as usual: an artifact's class can never shadow a Kiln or JDK class. Classes are
 * defined on first load from the bytes read from the jar. Parallel capable.
 */
final class ArtifactClassLoader extends ClassLoader {
  static {
    registerAsParallelCapable();
  }

  private final ImmutableMap<String, byte[]> classes;

  ArtifactClassLoader(String name, Map<String, byte[]> classes, ClassLoader parent) {
    super(name, Objects.requireNonNull(parent, "parent"));
    this.classes = ImmutableMap.copyOf(classes);
  }

  @Override
  protected Class<?> findClass(String name) throws ClassNotFoundException {
    byte[] bytes = classes.get(name);
    if (bytes == null) {
      throw new ClassNotFoundException(name + " (not a class of " + getName() + ")");
    }
    return defineClass(name, bytes, 0, bytes.length);
  }
}
