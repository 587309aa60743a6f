package dev.kiln.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.ir.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the examples are, and how close compiled outputs must be to the reference. */
final class ArtifactTesting {
  private ArtifactTesting() {}

  /** {@code examples/NAME/NAME.kiln}, found from the working directory (module or repo root). */
  static Path example(String name) {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path file = dir.resolve("examples").resolve(name).resolve(name + ".kiln");
      if (Files.isRegularFile(file)) {
        return file;
      }
    }
    throw new AssertionError("examples/" + name + "/" + name + ".kiln not found above "
        + Path.of("").toAbsolutePath());
  }

  /**
   * Compiled f32 code against the reference interpreter (which computes in double): equal shapes,
   * and every element within 1e-5 absolute plus 1e-4 relative.
   */
  static void assertClose(String what, Tensor expected, Tensor actual) {
    assertEquals(expected.dtype(), actual.dtype(), what);
    assertArrayEquals(expected.shape(), actual.shape(), what);
    for (long i = 0; i < expected.size(); i++) {
      double e = expected.getDouble(i);
      double a = actual.getDouble(i);
      if (!(Math.abs(a - e) <= 1e-5 + 1e-4 * Math.abs(e))) {
        fail(what + ": element " + i + " is " + a + ", the reference gives " + e);
      }
    }
  }
}
