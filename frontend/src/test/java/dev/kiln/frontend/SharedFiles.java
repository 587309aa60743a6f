package dev.kiln.frontend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the team's shared files ({@code shared/models/...}) without a hard-coded path: the
 * directory {@code shared} next to the repository or next to any of its ancestors (a git
 * worktree may live one level deeper than the main checkout).
 */
public final class SharedFiles {
  private SharedFiles() {}

  /** {@code shared/<relative>} if it exists next to the project directory or an ancestor. */
  public static Optional<Path> find(String relative) {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared").resolve(relative);
      if (Files.isRegularFile(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Like {@link #find}, but skips the calling test (with the reason) when the file is absent. */
  public static Path require(String relative) {
    Optional<Path> found = find(relative);
    Assumptions.assumeTrue(found.isPresent(),
        () -> "shared/" + relative + " not found next to " + Path.of("").toAbsolutePath()
            + " or any ancestor; the shared files are optional, so this test is skipped");
    return found.get();
  }
}
