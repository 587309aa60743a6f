package dev.kiln.codegen.emit;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kiln.codegen.gemm.CacheSizes;
import dev.kiln.codegen.gemm.GemmParams;

/**
 * What the emitter may do. Part of the kernel cache key: different options, different code.
 *
 * @param packageName package of the generated class
 * @param className simple name of the generated class
 * @param vectorize whether {@code VECTORIZED} loops use the Vector API (off when the JVM lacks
 *     {@code jdk.incubator.vector}); when off they run as scalar loops
 * @param maxUnroll the largest extent an {@code UNROLLED} loop is repeated for; beyond it the
 *     loop stays a loop (and a note says so)
 * @param gemm the blocking of generated matrix multiplies (from this machine's caches and vector
 *     length); used only when {@code vectorize} is on
 */
public record EmitOptions(String packageName, String className, boolean vectorize, int maxUnroll,
    GemmParams gemm) {
  public EmitOptions {
    checkArgument(maxUnroll >= 0, "maxUnroll must not be negative, got %s", maxUnroll);
  }

  public EmitOptions(String packageName, String className, boolean vectorize, int maxUnroll) {
    this(packageName, className, vectorize, maxUnroll, vectorize ? DefaultGemm.PARAMS : GemmParams.NONE);
  }

  /** Vectorize when the JVM has the Vector API module; unroll up to 32 iterations. */
  public static EmitOptions defaults() {
    return new EmitOptions("dev.kiln.generated", "KilnProgram", vectorApiAvailable(), 32);
  }

  /** With vectorizing on or off; the GEMM parameters follow (this machine's, or none). */
  public EmitOptions withVectorize(boolean newVectorize) {
    return new EmitOptions(packageName, className, newVectorize, maxUnroll);
  }

  public EmitOptions withClassName(String newClassName) {
    return new EmitOptions(packageName, newClassName, vectorize, maxUnroll, gemm);
  }

  public EmitOptions withGemm(GemmParams newGemm) {
    return new EmitOptions(packageName, className, vectorize, maxUnroll, newGemm);
  }

  /** The GEMM parameters of this machine: its caches and preferred float vector length. */
  private static final class DefaultGemm {
    static final GemmParams PARAMS = vectorApiAvailable()
        ? GemmParams.of(jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length(), CacheSizes.detect())
        : GemmParams.NONE;
  }

  /** The GEMM generator's parameters when it runs: vectorizing on and a usable vector length. */
  public GemmParams effectiveGemm() {
    return vectorize ? gemm : GemmParams.NONE;
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
        + " maxUnroll=" + maxUnroll + " " + effectiveGemm();
  }
}
