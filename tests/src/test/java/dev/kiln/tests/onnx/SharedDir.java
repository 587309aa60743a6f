package dev.kiln.tests.onnx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * The team's shared files (ONNX node tests, real models): {@code $KILN_SHARED} when set, else a
 * directory {@code shared} next to the repository root or next to one of its ancestors (a git
 * worktree may sit a level deeper than the main checkout). Tests run from the repository root.
 */
final class SharedDir {
  private SharedDir() {}

  static Optional<Path> find(String relative) {
    String env = System.getenv("KILN_SHARED");
    if (env != null && !env.isEmpty()) {
      Path p = Path.of(env).resolve(relative);
      return Files.exists(p) ? Optional.of(p) : Optional.empty();
    }
    for (Path dir = Path.of("").toAbsolutePath().getParent(); dir != null; dir = dir.getParent()) {
      Path p = dir.resolve("shared").resolve(relative);
      if (Files.exists(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** Like {@link #find}, but skips the calling test with a message when it is absent. */
  static Path require(String relative) {
    Optional<Path> p = find(relative);
    Assumptions.assumeTrue(p.isPresent(), () -> "skipped: shared/" + relative + " not found ("
        + "set KILN_SHARED, or put the shared directory next to the repository at "
        + Path.of("").toAbsolutePath() + ")");
    return p.get();
  }
}
