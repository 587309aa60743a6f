package dev.kiln.runtime.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.compiled.ParallelExecutor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged jars never escape as anything but an {@link ArtifactException}: every truncation, and
 * seeded random byte flips. A flip the checks cannot see (a time stamp, the jar manifest, an
 * unused name) must still leave a model that computes the right answer.
 */
class DamagedArtifactTest {
  @TempDir Path dir;

  private static final Tensor X = Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6);
  private static final Tensor Y = Tensor.ofFloats(new long[] {2, 3}, 12, 24, 36, 48, 60, 72);

  @Test
  void everyTruncationIsAnArtifactException() throws Exception {
    byte[] bytes = Files.readAllBytes(ArtifactFixtures.write(dir));
    Path damaged = dir.resolve("damaged.jar");
    for (int length = 0; length < bytes.length; length += 7) {
      Files.write(damaged, Arrays.copyOf(bytes, length));
      expectRefusedOrRight(damaged, "truncated to " + length + " bytes");
    }
  }

  @Test
  void randomByteFlipsAreRefusedOrHarmless() throws Exception {
    byte[] bytes = Files.readAllBytes(ArtifactFixtures.write(dir));
    Path damaged = dir.resolve("damaged.jar");
    Random random = new Random(7);
    for (int round = 0; round < 300; round++) {
      byte[] copy = bytes.clone();
      int at = random.nextInt(copy.length);
      copy[at] ^= (byte) (1 + random.nextInt(255));
      Files.write(damaged, copy);
      expectRefusedOrRight(damaged, "byte " + at + " changed (round " + round + ", seed 7)");
    }
  }

  private static void expectRefusedOrRight(Path jar, String what) {
    ArtifactModel model;
    try {
      model = ArtifactReader.load(jar, ParallelExecutor.serial());
    } catch (ArtifactException expected) {
      return;
    } catch (RuntimeException | Error e) {
      throw new AssertionError(what + ": escaped as " + e, e);
    }
    try {
      assertEquals(Y, model.run(Map.of("x", X)).get("y"), what);
    } catch (ArtifactException | dev.kiln.runtime.interpreter.RunException refused) {
      // Refused at run time, with a message: acceptable.
    } catch (RuntimeException e) {
      fail(what + ": loaded, then failed with " + e);
    }
  }
}
