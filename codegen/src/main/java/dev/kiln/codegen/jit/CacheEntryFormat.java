package dev.kiln.codegen.jit;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The bytes of one disk cache entry: the class files of one unit, with what it takes to trust
 * them. Layout (big-endian):
 *
 * <pre>
 *   magic            8 bytes  "KILNJIT" 0x00
 *   format version   int      {@link #FORMAT_VERSION}
 *   key length       int      bytes of the key text
 *   payload length   int      bytes of the payload
 *   checksum         32 bytes SHA-256 over key text and payload
 *   key text         UTF-8    {@link CacheKey#text()}: a hash collision or a misplaced file is
 *                             caught by comparing it, not trusted
 *   payload          int class count, then per class (sorted by name): int name length,
 *                    UTF-8 binary name, int class file length, class file
 * </pre>
 *
 * A truncated, extended, bit-flipped or foreign file fails {@link #decode} with the reason.
 */
final class CacheEntryFormat {
  static final int FORMAT_VERSION = 1;
  private static final byte[] MAGIC = "KILNJIT\0".getBytes(StandardCharsets.US_ASCII);
  private static final int CHECKSUM_BYTES = 32;
  static final int HEADER_BYTES = MAGIC.length + 3 * Integer.BYTES + CHECKSUM_BYTES;

  private CacheEntryFormat() {}

  /** Why an entry cannot be used. */
  static final class CorruptEntryException extends Exception {
    CorruptEntryException(String reason) {
      super(reason, null, false, false);
    }
  }

  /** A well-formed entry: its key text and its classes. */
  record Entry(String keyText, CompiledClasses classes) {}

  static byte[] encode(CacheKey key, CompiledClasses classes) {
    byte[] keyBytes = key.text().getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    writeInt(payload, classes.names().size());
    for (String name : classes.names()) {
      byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
      byte[] classFile = classes.bytesNoCopy(name);
      writeInt(payload, nameBytes.length);
      payload.writeBytes(nameBytes);
      writeInt(payload, classFile.length);
      payload.writeBytes(classFile);
    }
    byte[] payloadBytes = payload.toByteArray();
    ByteBuffer out = ByteBuffer.allocate(HEADER_BYTES + keyBytes.length + payloadBytes.length);
    out.put(MAGIC).putInt(FORMAT_VERSION).putInt(keyBytes.length).putInt(payloadBytes.length);
    out.put(checksum(keyBytes, payloadBytes));
    out.put(keyBytes).put(payloadBytes);
    return out.array();
  }

  static Entry decode(byte[] file) throws CorruptEntryException {
    if (file.length < HEADER_BYTES) {
      throw new CorruptEntryException("truncated: " + file.length + " bytes, shorter than the header");
    }
    ByteBuffer in = ByteBuffer.wrap(file);
    byte[] magic = new byte[MAGIC.length];
    in.get(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new CorruptEntryException("not a Kiln kernel cache entry (bad magic)");
    }
    int version = in.getInt();
    if (version != FORMAT_VERSION) {
      throw new CorruptEntryException(
          "format version " + version + ", this Kiln reads version " + FORMAT_VERSION);
    }
    int keyLength = in.getInt();
    int payloadLength = in.getInt();
    long expected = (long) HEADER_BYTES + keyLength + payloadLength;
    if (keyLength < 0 || payloadLength < 0 || expected != file.length) {
      throw new CorruptEntryException("header says " + expected + " bytes (key " + keyLength
          + ", payload " + payloadLength + ") but the file has " + file.length);
    }
    byte[] storedChecksum = new byte[CHECKSUM_BYTES];
    in.get(storedChecksum);
    byte[] keyBytes = new byte[keyLength];
    in.get(keyBytes);
    byte[] payload = new byte[payloadLength];
    in.get(payload);
    if (!MessageDigest.isEqual(storedChecksum, checksum(keyBytes, payload))) {
      throw new CorruptEntryException("checksum mismatch");
    }
    return new Entry(new String(keyBytes, StandardCharsets.UTF_8), decodePayload(payload));
  }

  /** The checksum matched, so a malformed payload means a writer bug; still an error, not a crash. */
  private static CompiledClasses decodePayload(byte[] payload) throws CorruptEntryException {
    try {
      ByteBuffer in = ByteBuffer.wrap(payload);
      int count = in.getInt();
      if (count <= 0) {
        throw new CorruptEntryException("payload holds " + count + " classes");
      }
      Map<String, byte[]> classes = new LinkedHashMap<>();
      for (int i = 0; i < count; i++) {
        String name = new String(slice(in), StandardCharsets.UTF_8);
        classes.put(name, slice(in));
      }
      if (in.hasRemaining()) {
        throw new CorruptEntryException(in.remaining() + " stray bytes after the last class");
      }
      return CompiledClasses.of(classes);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new CorruptEntryException("malformed payload: " + e);
    }
  }

  private static byte[] slice(ByteBuffer in) throws CorruptEntryException {
    int length = in.getInt();
    if (length < 0 || length > in.remaining()) {
      throw new CorruptEntryException("malformed payload: length " + length + " with "
          + in.remaining() + " bytes left");
    }
    byte[] bytes = new byte[length];
    in.get(bytes);
    return bytes;
  }

  private static byte[] checksum(byte[] keyBytes, byte[] payload) {
    MessageDigest digest = CacheKey.sha256();
    digest.update(keyBytes);
    digest.update(payload);
    return digest.digest();
  }

  private static void writeInt(ByteArrayOutputStream out, int value) {
    out.writeBytes(ByteBuffer.allocate(Integer.BYTES).putInt(value).array());
  }
}
