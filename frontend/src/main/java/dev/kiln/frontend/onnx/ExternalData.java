package dev.kiln.frontend.onnx;

import dev.kiln.frontend.onnx.proto.Onnx;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Tensor bytes stored outside the model ({@code data_location = EXTERNAL}): a file named by the
 * {@code location} key, relative to the model's directory, from {@code offset} for
 * {@code length} bytes. Files are memory-mapped once each, read-only, so a model with weights
 * over 2 GiB loads without copying them onto the heap.
 *
 * <p>A location must name a file inside the model's directory: an absolute path, or one that
 * leaves the directory through {@code ..} or a symbolic link, is rejected, so that a downloaded
 * model cannot make Kiln read arbitrary files.
 */
final class ExternalData {
  private final Path baseDir;
  private final Path realBaseDir;
  private final Map<Path, MemorySegment> mapped = new HashMap<>();

  ExternalData(Path baseDir) {
    this.baseDir = baseDir.toAbsolutePath().normalize();
    Path real;
    try {
      real = this.baseDir.toRealPath();
    } catch (IOException e) {
      real = this.baseDir;
    }
    this.realBaseDir = real;
  }

  /** The {@code byteCount} bytes a tensor's {@code external_data} entries point at. */
  MemorySegment read(Onnx.TensorProto t, long byteCount) {
    String location = null;
    long offset = 0;
    long length = -1;
    for (Onnx.StringStringEntryProto e : t.getExternalDataList()) {
      switch (e.getKey()) {
        case "location" -> location = e.getValue();
        case "offset" -> offset = parseLong("offset", e.getValue());
        case "length" -> length = parseLong("length", e.getValue());
        default -> { } // checksum and others: informational
      }
    }
    if (location == null || location.isEmpty()) {
      throw new InvalidOnnxException("external data without a 'location'");
    }
    if (length >= 0 && length != byteCount) {
      throw new InvalidOnnxException("external data 'length' is " + length + " bytes but the "
          + "tensor's type needs " + byteCount);
    }
    MemorySegment file = map(resolve(location), location);
    if (offset + byteCount > file.byteSize()) {
      throw new InvalidOnnxException("external data file '" + location + "' has "
          + file.byteSize() + " bytes; the tensor needs bytes " + offset + " to "
          + (offset + byteCount));
    }
    return file.asSlice(offset, byteCount);
  }

  private Path resolve(String location) {
    Path rel;
    try {
      rel = Path.of(location);
    } catch (RuntimeException e) {
      throw new InvalidOnnxException("external data location '" + location + "' is not a path");
    }
    if (rel.isAbsolute()) {
      throw new InvalidOnnxException("external data location '" + location
          + "' is absolute; it must be relative to the model's directory " + baseDir);
    }
    Path file = baseDir.resolve(rel).normalize();
    if (!file.startsWith(baseDir)) {
      throw new InvalidOnnxException("external data location '" + location
          + "' leaves the model's directory " + baseDir + "; it must name a file inside it");
    }
    try {
      Path real = file.toRealPath();
      if (!real.startsWith(realBaseDir)) {
        throw new InvalidOnnxException("external data location '" + location
            + "' resolves (through a symbolic link) to " + real
            + ", outside the model's directory " + baseDir);
      }
      return real;
    } catch (NoSuchFileException e) {
      throw new InvalidOnnxException("external data file '" + location + "' does not exist (looked "
          + "for " + file + ")");
    } catch (IOException e) {
      throw new InvalidOnnxException("cannot read external data file '" + location + "': " + e);
    }
  }

  private MemorySegment map(Path file, String location) {
    MemorySegment seg = mapped.get(file);
    if (seg != null) {
      return seg;
    }
    if (!Files.isRegularFile(file)) {
      throw new InvalidOnnxException("external data location '" + location + "' is not a file");
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      // An automatic arena: the mapping lives as long as some tensor still refers to it.
      seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
    } catch (IOException e) {
      throw new InvalidOnnxException("cannot map external data file '" + location + "': " + e);
    }
    mapped.put(file, seg);
    return seg;
  }

  private static long parseLong(String key, String value) {
    try {
      long v = Long.parseLong(value.trim());
      if (v < 0) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new InvalidOnnxException("external data '" + key + "' must be a non-negative "
          + "integer, got '" + value + "'");
    }
  }
}
