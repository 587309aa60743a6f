package dev.kiln.codegen.jit;

import com.google.common.collect.ImmutableMap;

/**
 * The loaded classes of one compiled unit, in a {@link ModelClassLoader} of their own. Holding a
 * unit (or any of its classes or instances) keeps its classes loaded; dropping all of them lets
 * the JVM unload them.
 *
 * @param key what the unit was compiled for
 * @param origin whether this call compiled it or found it in a cache tier
 * @param classes every class of the unit, nested ones included, by binary name
 * @param nanos time this call took to produce the loaded classes: compiling and defining them, or
 *     reading the cache and defining them (writing a new entry to disk is not included)
 */
public record CompiledUnit(
    CacheKey key, Origin origin, ModelClassLoader loader, ImmutableMap<String, Class<?>> classes,
    long nanos) {

  /** Where the classes came from. */
  public enum Origin { COMPILED, MEMORY_CACHE, DISK_CACHE }

  /**
   * The class {@code binaryName} of this unit.
   *
   * @throws IllegalArgumentException naming the unit's classes if it has no such class
   */
  public Class<?> loadedClass(String binaryName) {
    Class<?> type = classes.get(binaryName);
    if (type == null) {
      throw new IllegalArgumentException(
          "compiled unit has no class " + binaryName + "; its classes are " + classes.keySet());
    }
    return type;
  }

  @Override
  public String toString() {
    return "CompiledUnit[" + key + ", " + origin + ", " + classes.keySet() + "]";
  }
}
