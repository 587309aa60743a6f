package dev.kiln.runtime.artifact;

/**
 * Whether this JVM and this Kiln runtime can run an artifact's code; each refusal says why and
 * what to do. Checked after the format version and before any class is defined.
 */
final class Compatibility {
  /** Class-file major version of JDK N is N + 44. */
  private static final int CLASS_FILE_OFFSET = 44;

  private Compatibility() {}

  static void check(String file, ArtifactManifest m) {
    if (m.runtimeAbi() != KilnVersion.RUNTIME_ABI) {
      throw new ArtifactException(file, "compiled by Kiln " + m.kilnVersion()
          + " (runtime ABI " + m.runtimeAbi() + "), which this Kiln " + KilnVersion.current()
          + " (runtime ABI " + KilnVersion.RUNTIME_ABI
          + ") cannot run; compile the model again with this Kiln");
    }
    int feature = Runtime.version().feature();
    int readable = feature + CLASS_FILE_OFFSET;
    if (m.classFileMajor() > readable) {
      throw new ArtifactException(file, "compiled with JDK " + m.javaVersion()
          + " (class file version " + m.classFileMajor() + "); this JVM is JDK " + Runtime.version()
          + " and reads class files up to version " + readable + "; run it on JDK "
          + m.javaFeature() + " or newer, or compile the model again with this JDK");
    }
    if (m.usesVectorApi()) {
      if (m.javaFeature() != feature) {
        throw new ArtifactException(file, "its code uses the incubating Vector API of JDK "
            + m.javaFeature() + ", which changes between releases, and this JVM is JDK " + feature
            + "; run it on JDK " + m.javaFeature() + ", or compile the model again with this JDK");
      }
      if (!VectorSupport.available()) {
        throw new ArtifactException(file, "its code uses the Vector API; start the JVM with "
            + "--add-modules jdk.incubator.vector");
      }
    }
  }
}
