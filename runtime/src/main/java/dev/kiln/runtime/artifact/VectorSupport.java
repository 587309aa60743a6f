package dev.kiln.runtime.artifact;

/** Whether this JVM has the Vector API, and its float lane count, without touching it when absent. */
final class VectorSupport {
  private VectorSupport() {}

  static boolean available() {
    return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  }

  /** {@code FloatVector.SPECIES_PREFERRED.length()}, or 0 without the module. */
  static int floatLanes() {
    return available() ? Holder.LANES : 0;
  }

  /** Loaded only when the module is present. */
  private static final class Holder {
    static final int LANES = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
  }
}
