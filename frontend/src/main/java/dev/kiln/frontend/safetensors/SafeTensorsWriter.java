package dev.kiln.frontend.safetensors;

import dev.kiln.frontend.json.Json;
import dev.kiln.ir.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes safetensors files deterministically: keys sorted, tensors laid out back to back in key
 * order, and the header padded with spaces to a multiple of 8 bytes so that the data section
 * starts 8-byte aligned (mapped f64/i64 tensors are then aligned too).
 */
final class SafeTensorsWriter {
  private static final int CHUNK = 1 << 20;

  private SafeTensorsWriter() {}

  static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
    TreeMap<String, Tensor> sorted = new TreeMap<>(tensors);
    if (sorted.containsKey(SafeTensorsHeader.METADATA_KEY)) {
      throw new IllegalArgumentException(
          "cannot write " + file + ": \"" + SafeTensorsHeader.METADATA_KEY
              + "\" is reserved and cannot be a tensor key");
    }
    byte[] header = header(sorted, new TreeMap<>(metadata));
    // Write next to the target, then move: a crash never leaves a truncated weights file behind.
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      // Not Files.createTempFile: it makes the file owner-only (0600); a weights file should get
      // the same permissions as any file the user creates (the umask decides).
      tmp = dir.resolve(file.getFileName() + "." + java.util.UUID.randomUUID() + ".tmp");
      try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        len.putLong(header.length).flip();
        writeFully(out, len);
        writeFully(out, ByteBuffer.wrap(header));
        byte[] chunk = new byte[CHUNK];
        for (Tensor t : sorted.values()) {
          // Copy through a small buffer: heap segments over long[] have no ByteBuffer view.
          MemorySegment data = t.data();
          for (long off = 0; off < data.byteSize(); off += CHUNK) {
            int n = (int) Math.min(CHUNK, data.byteSize() - off);
            MemorySegment.copy(data, off, MemorySegment.ofArray(chunk), 0, n);
            writeFully(out, ByteBuffer.wrap(chunk, 0, n));
          }
        }
      }
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write " + file + ": " + SafeTensorsFile.describe(e), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // The original failure is the one worth reporting.
        }
      }
    }
  }

  /** The JSON header, space-padded to a multiple of 8 bytes. */
  static byte[] header(TreeMap<String, Tensor> tensors, TreeMap<String, String> metadata) {
    StringBuilder sb = new StringBuilder("{");
    if (!metadata.isEmpty()) {
      sb.append(Json.quote(SafeTensorsHeader.METADATA_KEY)).append(":{");
      String sep = "";
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        sb.append(sep).append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
        sep = ",";
      }
      sb.append('}');
    }
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      Tensor t = e.getValue();
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append(Json.quote(e.getKey()))
          .append(":{\"dtype\":\"").append(SafeTensorsDTypes.nameOf(t.dtype()))
          .append("\",\"shape\":[");
      for (int i = 0; i < t.rank(); i++) {
        sb.append(i > 0 ? "," : "").append(t.dim(i));
      }
      sb.append("],\"data_offsets\":[").append(offset).append(',')
          .append(offset + t.byteSize()).append("]}");
      offset += t.byteSize();
    }
    sb.append('}');
    byte[] json = sb.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    byte[] out = new byte[padded];
    System.arraycopy(json, 0, out, 0, json.length);
    Arrays.fill(out, json.length, padded, (byte) ' ');
    return out;
  }

  private static void writeFully(FileChannel out, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      out.write(buf);
    }
  }
}
