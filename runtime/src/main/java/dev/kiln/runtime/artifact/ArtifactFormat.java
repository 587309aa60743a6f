package dev.kiln.runtime.artifact;

/**
 * The layout of an artifact jar. Version 1:
 *
 * <ul>
 *   <li>{@code META-INF/MANIFEST.MF}: {@code Kiln-Artifact-Format} and {@code Created-By}, for
 *       people and jar tools; the loader does not rely on it.
 *   <li>{@code kiln/artifact.properties}: the {@link ArtifactManifest}, as {@link ManifestText}.
 *   <li>{@code kiln/classes/<binary name with / for .>.class}: the generated classes. Not at their
 *       usual path on purpose: even with the jar on a class path, only the artifact's own loader
 *       ever defines them, so two artifacts never clash.
 *   <li>{@code kiln/weights/<slot>.bin}: the data of the constant buffer in frame slot
 *       {@code <slot>}: its elements, little-endian, row-major, as the compiled code reads them
 *       (after any packing a schedule did). Stored uncompressed.
 * </ul>
 *
 * <p>A reader accepts every format up to {@link #VERSION} and refuses newer ones by name.
 */
public final class ArtifactFormat {
  /** Bump when entries or manifest keys change in a way an older reader would misread. */
  public static final int VERSION = 1;

  public static final String MANIFEST_ENTRY = "kiln/artifact.properties";
  static final String CLASSES_DIR = "kiln/classes/";
  static final String WEIGHTS_DIR = "kiln/weights/";

  private ArtifactFormat() {}

  public static String classEntry(String binaryName) {
    return CLASSES_DIR + binaryName.replace('.', '/') + ".class";
  }

  public static String weightsEntry(int slot) {
    return WEIGHTS_DIR + slot + ".bin";
  }
}
