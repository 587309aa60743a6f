package dev.kiln.codegen.compile;

import dev.kiln.codegen.emit.EmitOptions;

/** The preferred float vector length of this JVM, without touching the Vector API when absent. */
final class VectorShape {
  private VectorShape() {}

  static int floatLanes() {
    if (!EmitOptions.vectorApiAvailable()) {
      return 0;
    }
    return Holder.LANES;
  }

  /** Loaded only when the module is present. */
  private static final class Holder {
    static final int LANES = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
  }
}
