package dev.kiln.runtime.artifact;

import static dev.kiln.runtime.artifact.ArtifactFixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.compiled.ParallelExecutor;
import dev.kiln.runtime.interpreter.RunException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writing and loading artifacts with a hand-written program: the format and the run checks. */
class ArtifactFormatTest {
  @TempDir Path dir;

  private static ArtifactModel load(Path jar) {
    return ArtifactReader.load(jar, ParallelExecutor.serial());
  }

  @Test
  void writtenArtifactLoadsAndRunsWithItsWeightsAndArena() throws Exception {
    ArtifactSummary summary = ArtifactWriter.write(dir.resolve("addw.jar"), ArtifactFixtures.contents());
    assertEquals(1, summary.classes());
    assertEquals(1, summary.weights());
    assertEquals(24, summary.weightBytes());
    assertEquals(Files.size(dir.resolve("addw.jar")), summary.fileBytes());

    ArtifactModel model = load(summary.file());
    Tensor x = Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6);
    Map<String, Tensor> out = model.run(Map.of("x", x));
    assertEquals(java.util.List.of("y"), java.util.List.copyOf(out.keySet()));
    assertEquals(Tensor.ofFloats(new long[] {2, 3}, 12, 24, 36, 48, 60, 72), out.get("y"));

    ArtifactManifest m = model.manifest();
    assertEquals(ArtifactFormat.VERSION, m.format());
    assertEquals(KilnVersion.current(), m.kilnVersion());
    assertEquals(KilnVersion.RUNTIME_ABI, m.runtimeAbi());
    assertEquals("test-codegen", m.codegenVersion());
    assertEquals(Runtime.version().toString(), m.javaVersion());
    assertEquals(Runtime.version().feature() + 44, m.classFileMajor());
    assertFalse(m.usesVectorApi());
    assertEquals("f32[N, 3]", m.inputs().get(0).declared());
    assertEquals(Integer.valueOf(8), m.arenas().get(dev.kiln.runtime.compiled.Storage.FLOAT));
    assertEquals(2, m.slots().get(3).arenaOffset());
    assertTrue(model.loadNanos() > 0);
  }

  @Test
  void kilnVersionComesFromTheBuild() {
    assertTrue(KilnVersion.current().matches("\\d+\\.\\d+\\.\\d+.*"), KilnVersion.current());
  }

  @Test
  void sameContentsGiveTheSameBytes() throws Exception {
    ArtifactWriter.write(dir.resolve("a.jar"), ArtifactFixtures.contents());
    Thread.sleep(1100); // a time stamp that leaked into the jar would differ now
    ArtifactWriter.write(dir.resolve("b.jar"), ArtifactFixtures.contents());
    assertArrayEquals(Files.readAllBytes(dir.resolve("a.jar")), Files.readAllBytes(dir.resolve("b.jar")));
  }

  @Test
  void manifestTextRoundTrips() throws Exception {
    ArtifactManifest m = load(write(dir)).manifest();
    assertEquals(m, ManifestText.read(ManifestText.write(m)));
  }

  @Test
  void otherShapesAndTypesAreRefusedNamingTheInput() throws Exception {
    ArtifactModel model = load(write(dir));
    RunException shape = assertThrows(RunException.class,
        () -> model.run(Map.of("x", Tensor.zeros(dev.kiln.ir.type.DType.F32, 4, 3))));
    assertEquals("input %x has shape [4, 3], but this artifact was compiled for f32[2, 3] "
        + "(the model declares f32[N, 3]); compile the model again for this shape, e.g. "
        + "kiln compile --input-shape x=4,3", shape.getMessage());
    RunException type = assertThrows(RunException.class,
        () -> model.run(Map.of("x", Tensor.zeros(dev.kiln.ir.type.DType.F64, 2, 3))));
    assertEquals("input %x has element type f64, but this artifact was compiled for f32[2, 3]",
        type.getMessage());
    RunException names = assertThrows(RunException.class,
        () -> model.run(Map.of("z", Tensor.zeros(dev.kiln.ir.type.DType.F32, 2, 3))));
    assertEquals(Arrays.asList("unknown input %z; the model's inputs are %x",
        "missing input %x (f32[2, 3])"), names.problems());
  }

  @Test
  void missingFile() {
    Path jar = dir.resolve("nope.jar");
    assertEquals(jar + ": no such file",
        assertThrows(ArtifactException.class, () -> load(jar)).getMessage());
  }

  @Test
  void truncatedJar() throws Exception {
    Path jar = write(dir);
    byte[] bytes = Files.readAllBytes(jar);
    Path cut = Files.write(dir.resolve("cut.jar"), Arrays.copyOf(bytes, bytes.length / 2));
    assertEquals(cut + ": not a Kiln artifact: not a readable jar (zip END header not found); "
        + "the file may be truncated or corrupt",
        assertThrows(ArtifactException.class, () -> load(cut)).getMessage());
  }

  @Test
  void notAJarAtAll() throws Exception {
    Path text = Files.writeString(dir.resolve("model.jar"), "model m() -> () {}\n");
    assertEquals(text + ": not a Kiln artifact: not a readable jar (zip END header not found); "
        + "the file may be truncated or corrupt",
        assertThrows(ArtifactException.class, () -> load(text)).getMessage());
  }

  @Test
  void aJarWithoutAManifestIsNotAnArtifact() throws Exception {
    Path jar = ArtifactFixtures.rewrite(write(dir), dir.resolve("plain.jar"), e -> {
      e.remove(ArtifactFormat.MANIFEST_ENTRY);
      return e;
    });
    assertEquals(jar + ": not a Kiln artifact: it has no kiln/artifact.properties entry",
        assertThrows(ArtifactException.class, () -> load(jar)).getMessage());
  }

  @Test
  void missingWeightsEntry() throws Exception {
    Path jar = ArtifactFixtures.rewrite(write(dir), dir.resolve("noweights.jar"), e -> {
      e.remove("kiln/weights/2.bin");
      return e;
    });
    assertEquals(jar + ": corrupt artifact: entry kiln/weights/2.bin is missing",
        assertThrows(ArtifactException.class, () -> load(jar)).getMessage());
  }

  @Test
  void missingClassEntry() throws Exception {
    Path jar = ArtifactFixtures.rewrite(write(dir), dir.resolve("noclass.jar"), e -> {
      e.remove(ArtifactFormat.classEntry(AddWeightsProgram.class.getName()));
      return e;
    });
    assertEquals(jar + ": corrupt artifact: entry "
        + "kiln/classes/dev/kiln/runtime/artifact/AddWeightsProgram.class is missing",
        assertThrows(ArtifactException.class, () -> load(jar)).getMessage());
  }

  @Test
  void changedWeightsFailTheirChecksum() throws Exception {
    Path jar = ArtifactFixtures.rewrite(write(dir), dir.resolve("flipped.jar"), e -> {
      byte[] w = e.get("kiln/weights/2.bin").clone();
      w[5] ^= 1;
      e.put("kiln/weights/2.bin", w);
      return e;
    });
    ArtifactException error = assertThrows(ArtifactException.class, () -> load(jar));
    assertTrue(error.getMessage().matches(java.util.regex.Pattern.quote(jar.toString())
        + ": corrupt artifact: entry kiln/weights/2\\.bin fails its CRC-32 check "
        + "\\([0-9a-f]+, the manifest says [0-9a-f]+\\)"), error.getMessage());
  }

  @Test
  void shortWeightsEntry() throws Exception {
    Path jar = ArtifactFixtures.rewrite(write(dir), dir.resolve("short.jar"), e -> {
      e.put("kiln/weights/2.bin", Arrays.copyOf(e.get("kiln/weights/2.bin"), 20));
      return e;
    });
    assertEquals(jar + ": corrupt artifact: entry kiln/weights/2.bin has 20 bytes, the manifest "
        + "says 24", assertThrows(ArtifactException.class, () -> load(jar)).getMessage());
  }

  @Test
  void formatFromTheFuture() throws Exception {
    Path jar = ArtifactFixtures.editManifest(write(dir), dir.resolve("future.jar"),
        t -> t.replace("format=1\n", "format=7\n").replace("slot.count=", "slot.kount="));
    // Named before anything else of the newer format (here a renamed key) can fail.
    assertEquals(jar + ": artifact format 7 is newer than this Kiln " + KilnVersion.current()
        + " reads (format 1); load it with a newer Kiln, or compile the model again with this one",
        assertThrows(ArtifactException.class, () -> load(jar)).getMessage());
  }

  @Test
  void malformedManifestNamesTheKey() throws Exception {
    Path jar = ArtifactFixtures.editManifest(write(dir), dir.resolve("bad.jar"),
        t -> t.replace("slot.count=", "slot.kount="));
    assertEquals(jar + ": corrupt artifact manifest: key 'slot.count' is missing",
        assertThrows(ArtifactException.class, () -> load(jar)).getMessage());
    Path shape = ArtifactFixtures.editManifest(write(dir), dir.resolve("shape.jar"),
        t -> t.replace("slot.0.shape=2,3", "slot.0.shape=2,x"));
    assertEquals(shape + ": corrupt artifact manifest: key 'slot.0.shape' is not a shape: '2,x'",
        assertThrows(ArtifactException.class, () -> load(shape)).getMessage());
    Path offset = ArtifactFixtures.editManifest(write(dir), dir.resolve("offset.jar"),
        t -> t.replace("slot.3.offset=2", "slot.3.offset=99999999999"));
    assertEquals(offset + ": corrupt artifact manifest: key 'slot.3.offset' is out of range: "
        + "99999999999", assertThrows(ArtifactException.class, () -> load(offset)).getMessage());
    Path arena = ArtifactFixtures.editManifest(write(dir), dir.resolve("arena.jar"),
        t -> t.replace("slot.3.offset=2", "slot.3.offset=3"));
    assertEquals(arena + ": corrupt artifact manifest: scratch buffer %t does not fit its arena",
        assertThrows(ArtifactException.class, () -> load(arena)).getMessage());
  }

  @Test
  void incompatibleKiln() throws Exception {
    Path jar = ArtifactFixtures.editManifest(write(dir), dir.resolve("old.jar"),
        t -> t.replace("runtime.abi=1", "runtime.abi=0")
            .replace("kiln.version=" + KilnVersion.current(), "kiln.version=0.0.1"));
    assertEquals(jar + ": compiled by Kiln 0.0.1 (runtime ABI 0), which this Kiln "
        + KilnVersion.current() + " (runtime ABI 1) cannot run; compile the model again with "
        + "this Kiln", assertThrows(ArtifactException.class, () -> load(jar)).getMessage());
  }

  @Test
  void classesFromANewerJdk() throws Exception {
    int major = Runtime.version().feature() + 44;
    Path jar = ArtifactFixtures.editManifest(write(dir), dir.resolve("newjdk.jar"),
        t -> t.replace("classfile.major=" + major, "classfile.major=143")
            .replace("java.feature=" + Runtime.version().feature(), "java.feature=99")
            .replace("java.version=" + Runtime.version(), "java.version=99.0.1+2"));
    assertEquals(jar + ": compiled with JDK 99.0.1+2 (class file version 143); this JVM is JDK "
        + Runtime.version() + " and reads class files up to version " + major + "; run it on "
        + "JDK 99 or newer, or compile the model again with this JDK",
        assertThrows(ArtifactException.class, () -> load(jar)).getMessage());
  }

  @Test
  void vectorApiCodeFromAnotherJdk() throws Exception {
    int feature = Runtime.version().feature();
    Path jar = ArtifactFixtures.editManifest(write(dir), dir.resolve("vector.jar"),
        t -> t.replace("vector.api=false", "vector.api=true")
            .replace("java.feature=" + feature, "java.feature=" + (feature - 1)));
    assertEquals(jar + ": its code uses the incubating Vector API of JDK " + (feature - 1)
        + ", which changes between releases, and this JVM is JDK " + feature + "; run it on JDK "
        + (feature - 1) + ", or compile the model again with this JDK",
        assertThrows(ArtifactException.class, () -> load(jar)).getMessage());
  }

  @Test
  void programClassThatIsNotAProgram() throws Exception {
    Path jar = ArtifactFixtures.editManifest(write(dir), dir.resolve("notprogram.jar"),
        t -> t.replace("program.class=dev.kiln.runtime.artifact.AddWeightsProgram",
            "program.class=dev.kiln.runtime.artifact.ArtifactFixtures"));
    // The manifest names a class the jar does not hold.
    assertEquals(jar + ": corrupt artifact: entry "
        + "kiln/classes/dev/kiln/runtime/artifact/ArtifactFixtures.class is missing",
        assertThrows(ArtifactException.class, () -> load(jar)).getMessage());
  }
}
