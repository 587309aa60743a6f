package dev.kiln.frontend.safetensors;

import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A safetensors weights file: an 8-byte little-endian header length, a JSON header mapping each
 * tensor key to {@code {"dtype", "shape", "data_offsets"}}, then raw little-endian data. The data
 * is memory-mapped, so weights are not copied onto the heap.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public final class SafeTensorsFile implements AutoCloseable {
  /** Like the reference implementation, refuse absurd headers before reading them into memory. */
  static final long MAX_HEADER_BYTES = 100L << 20;

  private static final ValueLayout.OfLong U64_LE =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final Path path;
  private final ImmutableMap<String, Tensor> tensors;
  private final ImmutableMap<String, String> metadata;
  private volatile boolean closed;

  private SafeTensorsFile(
      Path path, ImmutableMap<String, Tensor> tensors, ImmutableMap<String, String> metadata) {
    this.path = path;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /**
   * Opens and validates a file: the header must be valid JSON of the format, every dtype known,
   * every tensor's byte range inside the file and of the size its dtype and shape say.
   *
   * @throws SafeTensorsException naming the file (and the key) at fault
   */
  public static SafeTensorsFile open(Path file) {
    String name = file.toString();
    if (Files.isDirectory(file)) {
      throw new SafeTensorsException(name + ": is a directory, not a safetensors file");
    }
    MemorySegment mapped;
    // The mapping belongs to an automatic arena, so it outlives the channel and lives exactly as
    // long as some tensor (or this object) still refers to it.
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < 8) {
        throw new SafeTensorsException(
            name + ": file is " + size + " bytes, too short for the 8-byte header length");
      }
      mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, Arena.ofAuto());
    } catch (IOException e) {
      throw new SafeTensorsException(name + ": cannot read: " + describe(e));
    }
    long fileSize = mapped.byteSize();
    long headerLength = mapped.get(U64_LE, 0);
    // Unsigned compare: a length of 2^63 or more reads as negative.
    if (Long.compareUnsigned(headerLength, fileSize - 8) > 0) {
      throw new SafeTensorsException(name + ": header length " + Long.toUnsignedString(headerLength)
          + " is larger than the rest of the file (" + (fileSize - 8) + " bytes)");
    }
    if (headerLength > MAX_HEADER_BYTES) {
      throw new SafeTensorsException(name + ": header length " + headerLength
          + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
    }
    String json = decodeUtf8(name, mapped.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE));
    long dataStart = 8 + headerLength;
    MemorySegment data = mapped.asSlice(dataStart);
    SafeTensorsHeader header = SafeTensorsHeader.parse(name, json, data.byteSize());
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (SafeTensorsHeader.Entry e : header.entries()) {
      tensors.put(
          e.key(), Tensor.wrap(e.dtype(), e.shape(), data.asSlice(e.begin(), e.end() - e.begin())));
    }
    return new SafeTensorsFile(file, ImmutableMap.copyOf(tensors), header.metadata());
  }

  /** Writes tensors (keys in sorted order) to a new safetensors file. */
  public static void write(Path file, Map<String, Tensor> tensors) {
    SafeTensorsWriter.write(file, tensors, Map.of());
  }

  /** Writes tensors and the {@code __metadata__} string map (both in sorted key order). */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
    SafeTensorsWriter.write(file, tensors, metadata);
  }

  public Path path() {
    return path;
  }

  /** The tensor keys in header order. */
  public Set<String> keys() {
    return tensors.keySet();
  }

  /** The header's {@code __metadata__} entries; empty when it has none. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** The tensor stored under {@code key}, memory-mapped. */
  public Optional<Tensor> get(String key) {
    if (closed) {
      throw new IllegalStateException(path + " is closed");
    }
    return Optional.ofNullable(tensors.get(key));
  }

  /**
   * Marks this file closed: {@link #get} then throws. Tensors obtained from it stay valid: the
   * mapping lives as long as they are reachable (an automatic arena), and the channel was
   * released as soon as the file was mapped.
   */
  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return "SafeTensorsFile[" + path + ", " + tensors.size() + " tensors]";
  }

  private static String decodeUtf8(String name, byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new SafeTensorsException(name + ": header is not valid UTF-8");
    }
  }

  /** An I/O failure in words; the JDK's messages for these are only the path. */
  static String describe(IOException e) {
    return switch (e) {
      case NoSuchFileException x -> "no such file";
      case AccessDeniedException x -> "permission denied";
      default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    };
  }
}
