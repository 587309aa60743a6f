package dev.kiln.runtime.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The versions an artifact is checked against when it is loaded.
 *
 * <p>{@link #RUNTIME_ABI} is the contract between generated code and this runtime: the classes
 * and methods generated code calls ({@code CompiledProgram}, {@code Frame}, {@code
 * ParallelExecutor}, {@code RangeTask}, {@code Narrow}, {@code Storage}). Bump it in every change
 * that removes or changes one of them: an artifact whose code was written against another ABI
 * is refused with a message instead of failing with a {@code NoSuchMethodError} mid-run.
 */
public final class KilnVersion {
  /** Bump when a class or method that generated code calls changes incompatibly. */
  public static final int RUNTIME_ABI = 1;

  private static final String CURRENT = read();

  private KilnVersion() {}

  /** This Kiln's version, e.g. {@code 0.1.0-SNAPSHOT} (from the build). */
  public static String current() {
    return CURRENT;
  }

  private static String read() {
    try (InputStream in = KilnVersion.class.getResourceAsStream("kiln-version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "unknown");
      // Unfiltered (run from an IDE that skips resource filtering): say so rather than "${...}".
      return v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
