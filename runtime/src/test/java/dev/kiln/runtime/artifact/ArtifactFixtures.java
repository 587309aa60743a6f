package dev.kiln.runtime.artifact;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.compiled.FrameLayout;
import dev.kiln.runtime.compiled.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/** A small artifact around {@link AddWeightsProgram}, and ways to damage one. */
final class ArtifactFixtures {
  static final Buffer X = Buffer.of("x", DType.F32, BufferRole.INPUT, 2, 3);
  static final Buffer Y = Buffer.of("y", DType.F32, BufferRole.OUTPUT, 2, 3);
  static final Buffer W = Buffer.of("w", DType.F32, BufferRole.CONSTANT, 2, 3);
  static final Buffer T = Buffer.of("t", DType.F32, BufferRole.SCRATCH, 2, 3);
  static final Tensor WEIGHTS = Tensor.ofFloats(new long[] {2, 3}, 10, 20, 30, 40, 50, 60);

  private ArtifactFixtures() {}

  static ArtifactContents contents() throws IOException {
    FrameLayout layout = new FrameLayout(ImmutableList.of(new FrameLayout.Slot(X, 0),
        new FrameLayout.Slot(Y, 0), new FrameLayout.Slot(W, 0), new FrameLayout.Slot(T, 2)),
        ImmutableMap.of(Storage.FLOAT, 8));
    String name = AddWeightsProgram.class.getName();
    byte[] bytes;
    try (InputStream in = AddWeightsProgram.class.getResourceAsStream("AddWeightsProgram.class")) {
      bytes = in.readAllBytes();
    }
    return new ArtifactContents("test-codegen", "addw", name, Map.of(name, bytes), layout,
        Map.of(W, WEIGHTS),
        ImmutableList.of(new ArtifactManifest.TensorSpec("x", DType.F32, ImmutableList.of(2L, 3L),
            "f32[N, 3]")),
        ImmutableList.of(new ArtifactManifest.TensorSpec("y", DType.F32, ImmutableList.of(2L, 3L),
            "f32[N, 3]")));
  }

  static Path write(Path dir) throws IOException {
    Path jar = dir.resolve("addw.jar");
    ArtifactWriter.write(jar, contents());
    return jar;
  }

  /** Every entry of a jar, in order. */
  static Map<String, byte[]> entries(Path jar) throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      Enumeration<? extends ZipEntry> all = zip.entries();
      while (all.hasMoreElements()) {
        ZipEntry e = all.nextElement();
        try (InputStream in = zip.getInputStream(e)) {
          entries.put(e.getName(), in.readAllBytes());
        }
      }
    }
    return entries;
  }

  /** A copy of {@code jar} at {@code target} with its entries changed by {@code change}. */
  static Path rewrite(Path jar, Path target, UnaryOperator<Map<String, byte[]>> change)
      throws IOException {
    Map<String, byte[]> entries = change.apply(entries(jar));
    try (OutputStream file = Files.newOutputStream(target);
        ZipOutputStream zip = new ZipOutputStream(file)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return target;
  }

  /** A copy with the manifest text changed by {@code edit}. */
  static Path editManifest(Path jar, Path target, UnaryOperator<String> edit) throws IOException {
    return rewrite(jar, target, entries -> {
      String text = new String(entries.get(ArtifactFormat.MANIFEST_ENTRY), StandardCharsets.UTF_8);
      String edited = edit.apply(text);
      if (edited.equals(text)) {
        throw new AssertionError("the edit changed nothing in:\n" + text);
      }
      entries.put(ArtifactFormat.MANIFEST_ENTRY, edited.getBytes(StandardCharsets.UTF_8));
      return entries;
    });
  }
}
