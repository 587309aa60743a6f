package dev.kiln.codegen.emit;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * What the emitter may do. Part of the kernel cache key: different options, different code.
 *
 * @param packageName package of the generated class
 * @param className simple name of the generated class
 * @param vectorize whether {@code VECTORIZED} loops use the Vector API (off when the JVM lacks
 *     {@code jdk.incubator.vector}); when off they run as scalar loops
 * @param maxUnroll the largest extent an {@code UNROLLED} loop is repeated for; beyond it the
 *     loop stays a loop (and a note says so)
 */
public record EmitOptions(String packageName, String className, boolean vectorize, int maxUnroll) {
  public EmitOptions {
    checkArgument(maxUnroll >= 0, "maxUnroll must not be negative, got %s", maxUnroll);
  }

  /** Vectorize when the JVM has the Vector API module; unroll up to 32 iterations. */
  public static EmitOptions defaults() {
    return new EmitOptions("dev.kiln.generated", "KilnProgram", vectorApiAvailable(), 32);
  }

  public EmitOptions withVectorize(boolean newVectorize) {
    return new EmitOptions(packageName, className, newVectorize, maxUnroll);
  }

  public EmitOptions withClassName(String newClassName) {
    return new EmitOptions(packageName, newClassName, vectorize, maxUnroll);
  }

  public String qualifiedClassName() {
    return packageName + "." + className;
  }

  /** Whether this JVM resolved {@code jdk.incubator.vector} (the launcher adds it). */
  public static boolean vectorApiAvailable() {
    return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  }

  /** The text in cache keys. */
  @Override
  public String toString() {
    return "package=" + packageName + " class=" + className + " vectorize=" + vectorize
        + " maxUnroll=" + maxUnroll;
  }
}
