package dev.kiln.runtime.artifact;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.compiled.FrameLayout;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;

/**
 * Writes an artifact jar ({@link ArtifactFormat}). The file appears whole or not at all: it is
 * written next to the target and moved into place. Entries carry a fixed time and come in a fixed
 * order, so the same contents give the same bytes.
 */
public final class ArtifactWriter {
  /** 1980-01-01 (local time), the zip epoch: a fixed time keeps artifacts reproducible. */
  private static final long ENTRY_TIME = 315532800000L;
  /** Entries are read into one byte array each. */
  static final long MAX_ENTRY_BYTES = Integer.MAX_VALUE - 8;
  private static final byte[] VECTOR_PACKAGE = "jdk/incubator/vector/".getBytes(StandardCharsets.US_ASCII);

  private ArtifactWriter() {}

  /**
   * @throws IOException if the file cannot be written
   * @throws IllegalArgumentException if the contents are inconsistent (a Kiln bug)
   */
  public static ArtifactSummary write(Path output, ArtifactContents contents) throws IOException {
    if (!contents.classes().containsKey(contents.programClass())) {
      throw new IllegalArgumentException("program class " + contents.programClass()
          + " is not among the classes " + contents.classes().keySet());
    }
    Map<String, byte[]> entries = new LinkedHashMap<>();
    long classBytes = 0;
    int major = 0;
    boolean vector = false;
    for (Map.Entry<String, byte[]> c : contents.classes().entrySet()) {
      entries.put(ArtifactFormat.classEntry(c.getKey()), c.getValue());
      classBytes += c.getValue().length;
      major = Math.max(major, classFileMajor(c.getKey(), c.getValue()));
      vector |= contains(c.getValue(), VECTOR_PACKAGE);
    }
    long weightBytes = 0;
    int weights = 0;
    List<FrameLayout.Slot> slots = contents.layout().slots();
    for (int i = 0; i < slots.size(); i++) {
      Buffer b = slots.get(i).buffer();
      if (b.role() != BufferRole.CONSTANT) {
        continue;
      }
      Tensor t = contents.constants().get(b);
      if (t == null || t.dtype() != b.dtype() || !Arrays.equals(t.shape(), b.shapeArray())) {
        throw new IllegalArgumentException("constant " + b.declaration() + " has data "
            + (t == null ? "none" : t.type().toString()));
      }
      if (t.data().byteSize() > MAX_ENTRY_BYTES) {
        throw new ArtifactException(output.toString(), "constant " + b.declaration() + " has "
            + t.data().byteSize() + " bytes; an artifact holds constants of at most "
            + MAX_ENTRY_BYTES + " bytes each");
      }
      byte[] data = t.data().toArray(ValueLayout.JAVA_BYTE);
      entries.put(ArtifactFormat.weightsEntry(i), data);
      weightBytes += data.length;
      weights++;
    }
    ImmutableMap.Builder<String, ArtifactManifest.EntryCheck> checks = ImmutableMap.builder();
    entries.forEach((name, bytes) -> checks.put(name,
        new ArtifactManifest.EntryCheck(bytes.length, crc(bytes))));
    ArtifactManifest manifest = new ArtifactManifest(ArtifactFormat.VERSION, KilnVersion.current(),
        KilnVersion.RUNTIME_ABI, contents.codegenVersion(), Runtime.version().toString(),
        Runtime.version().feature(), major, vector, VectorSupport.floatLanes(),
        contents.modelName(), contents.programClass(), contents.inputs(), contents.outputs(),
        slotSpecs(contents.layout()), contents.layout().arenaElements(), checks.buildOrThrow());

    Path absolute = output.toAbsolutePath();
    Path temp = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName(), ".tmp");
    try {
      try (OutputStream file = Files.newOutputStream(temp);
          JarOutputStream jar = new JarOutputStream(file)) {
        // Written as a plain entry (not through the JarOutputStream constructor) so it too
        // carries the fixed time.
        java.io.ByteArrayOutputStream mf = new java.io.ByteArrayOutputStream();
        jarManifest(manifest).write(mf);
        put(jar, "META-INF/MANIFEST.MF", mf.toByteArray(), false);
        put(jar, ArtifactFormat.MANIFEST_ENTRY,
            ManifestText.write(manifest).getBytes(StandardCharsets.UTF_8), false);
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
          put(jar, e.getKey(), e.getValue(), e.getKey().startsWith(ArtifactFormat.WEIGHTS_DIR));
        }
      }
      Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
    return new ArtifactSummary(output, Files.size(output), contents.classes().size(), classBytes,
        weights, weightBytes, manifest);
  }

  private static ImmutableList<ArtifactManifest.SlotSpec> slotSpecs(FrameLayout layout) {
    return layout.slots().stream().map(s -> new ArtifactManifest.SlotSpec(s.buffer().name(),
        s.buffer().origin(), s.buffer().dtype(), s.buffer().shape(), s.buffer().role(),
        s.arenaOffset())).collect(ImmutableList.toImmutableList());
  }

  private static Manifest jarManifest(ArtifactManifest m) {
    Manifest manifest = new Manifest();
    Attributes main = manifest.getMainAttributes();
    main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    main.putValue("Created-By", "Kiln " + m.kilnVersion() + " (JDK " + m.javaVersion() + ")");
    main.putValue("Kiln-Artifact-Format", String.valueOf(m.format()));
    main.putValue("Kiln-Model", m.modelName());
    return manifest;
  }

  /** Weights are stored uncompressed: random-looking floats barely compress, and stored data loads faster. */
  private static void put(JarOutputStream jar, String name, byte[] bytes, boolean stored)
      throws IOException {
    ZipEntry entry = new ZipEntry(name);
    entry.setTime(ENTRY_TIME);
    if (stored) {
      entry.setMethod(ZipEntry.STORED);
      entry.setSize(bytes.length);
      entry.setCompressedSize(bytes.length);
      entry.setCrc(crc(bytes));
    }
    jar.putNextEntry(entry);
    jar.write(bytes);
    jar.closeEntry();
  }

  static long crc(byte[] bytes) {
    CRC32 crc = new CRC32();
    crc.update(bytes);
    return crc.getValue();
  }

  private static int classFileMajor(String name, byte[] bytes) {
    if (bytes.length < 8 || (bytes[0] & 0xff) != 0xca || (bytes[1] & 0xff) != 0xfe
        || (bytes[2] & 0xff) != 0xba || (bytes[3] & 0xff) != 0xbe) {
      throw new IllegalArgumentException("class " + name + " is not a class file");
    }
    return ((bytes[6] & 0xff) << 8) | (bytes[7] & 0xff);
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
