package dev.kiln.codegen.jit;

import java.util.Objects;

/**
 * Defines the classes of one compiled model, and nothing else. Each model gets its own loader, a
 * child of the loader that holds Kiln's runtime classes, so that generated code sees the runtime
 * and once the model is dropped (no instance, class or loader reachable) the JVM can unload its
 * classes: a long-running server that compiles many models does not fill metaspace.
 *
 * <p>Classes are defined lazily on first load, from the unit's class files; the loader delegates
 * to its parent first, as usual, so a generated class can never shadow a Kiln or JDK class.
 * Thread-safe (parallel capable).
 */
public final class ModelClassLoader extends ClassLoader {
  static {
    registerAsParallelCapable();
  }

  private final CompiledClasses classes;

  /**
   * @param name shown in stack traces and heap dumps, e.g. {@code kiln-model-3fa2c1}
   * @param parent the loader of Kiln's runtime classes
   */
  public ModelClassLoader(String name, CompiledClasses classes, ClassLoader parent) {
    super(name, Objects.requireNonNull(parent, "parent"));
    this.classes = Objects.requireNonNull(classes, "classes");
  }

  public CompiledClasses classes() {
    return classes;
  }

  @Override
  protected Class<?> findClass(String name) throws ClassNotFoundException {
    byte[] bytes = classes.bytesNoCopy(name);
    if (bytes == null) {
      throw new ClassNotFoundException(name + " (not a class of " + getName() + ")");
    }
    return defineClass(name, bytes, 0, bytes.length);
  }
}
