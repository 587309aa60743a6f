package dev.kiln.frontend.kiln;

import dev.kiln.frontend.ModelLoadException;
import java.nio.file.Path;

/**
 * Entry points of the Kiln model language: read a {@code .kiln} file or string into a verified
 * graph, and print a graph back as canonical text that parses to an equal graph.
 */
public final class KilnText {
  private KilnText() {}

  /**
   * Reads and verifies a {@code .kiln} file; weights are memory-mapped from the file named by its
   * {@code weights} directive, relative to the model file.
   *
   * @throws ModelLoadException listing every error, each as {@code file:line:col: message}
   */
  public static KilnModel read(Path file) {
    throw new UnsupportedOperationException("Kiln parser not written yet");
  }

  /**
   * Parses Kiln text. {@code sourceName} is used in messages; {@code baseDir} resolves the
   * weights file.
   */
  public static KilnModel parse(String text, String sourceName, Path baseDir) {
    throw new UnsupportedOperationException("Kiln parser not written yet");
  }

  /** Canonical text of a model; {@code read(print(m))} gives an equal graph. */
  public static String print(KilnModel model) {
    throw new UnsupportedOperationException("Kiln printer not written yet");
  }
}
