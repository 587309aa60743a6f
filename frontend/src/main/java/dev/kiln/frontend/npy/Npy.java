package dev.kiln.frontend.npy;

import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
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
import java.util.Arrays;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) as Kiln tensors.
 *
 * <p>Reading accepts little- and big-endian data (big-endian is byte-swapped) and Fortran-order
 * arrays (transposed into Kiln's row-major layout, so the tensor has the same shape and the same
 * element at every index as the NumPy array). A little-endian C-order file read from a path is
 * memory-mapped and not copied. Object, string, complex, datetime and structured dtypes are
 * rejected. Writing produces exactly the bytes {@code numpy.save} writes for a C-order array.
 *
 * <p>Format errors throw {@link NpyException} naming the file; I/O failures throw
 * {@link UncheckedIOException}.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  /** Data starts at a multiple of this, as NumPy aligns it. */
  private static final int ALIGN = 64;

  private Npy() {}

  public static Tensor read(Path file) {
    if (Files.isDirectory(file)) {
      throw new NpyException(file + ": is a directory, not a .npy file");
    }
    MemorySegment mapped;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), Arena.ofAuto());
    } catch (NoSuchFileException e) {
      throw new NpyException(file + ": no such file");
    } catch (AccessDeniedException e) {
      throw new NpyException(file + ": permission denied");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return decode(mapped, file.toString(), true);
  }

  /** Reads a {@code .npy} image; {@code sourceName} names it in messages. The bytes are copied. */
  public static Tensor read(byte[] npy, String sourceName) {
    return decode(MemorySegment.ofArray(npy), sourceName, false);
  }

  /** Reads a whole stream as one {@code .npy} image (it does not close the stream). */
  public static Tensor read(InputStream in, String sourceName) {
    try {
      byte[] bytes = in.readAllBytes();
      return decode(MemorySegment.ofArray(bytes), sourceName, true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + sourceName + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes {@code tensor} as a {@code .npy} file.
   *
   * @throws IllegalArgumentException for bf16, which NumPy has no standard dtype for
   */
  public static void write(Path file, Tensor tensor) {
    byte[] header = header(tensor);
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(header);
      writeData(out, tensor);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Writes {@code tensor} as a {@code .npy} image to {@code out} (which stays open). */
  public static void write(OutputStream out, Tensor tensor) {
    byte[] header = header(tensor);
    try {
      out.write(header);
      writeData(out, tensor);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a .npy stream: " + e.getMessage(), e);
    }
  }

  /** The {@code .npy} image of {@code tensor} in memory; for tensors well under 2 GiB. */
  public static byte[] toBytes(Tensor tensor) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    write(out, tensor);
    return out.toByteArray();
  }

  // ---- reading ----

  /**
   * @param owned whether {@code npy} stays unchanged for as long as the tensor lives, so that a
   *     little-endian C-order tensor may wrap it without a copy
   */
  private static Tensor decode(MemorySegment npy, String file, boolean owned) {
    long size = npy.byteSize();
    int magicBytes = (int) Math.min(size, MAGIC.length);
    for (int i = 0; i < magicBytes; i++) {
      if (npy.get(ValueLayout.JAVA_BYTE, i) != MAGIC[i]) {
        throw new NpyException(file + ": not a .npy file: it starts with "
            + hex(npy, Math.min(size, 8)) + ", not the magic 93 4e 55 4d 50 59 (\\x93NUMPY)");
      }
    }
    if (size < 10) {
      throw new NpyException(
          file + ": file is " + size + " bytes, too short for the .npy header; it is truncated");
    }
    int major = npy.get(ValueLayout.JAVA_BYTE, 6) & 0xff;
    int minor = npy.get(ValueLayout.JAVA_BYTE, 7) & 0xff;
    String version = major + "." + minor;
    if (!NpyHeader.VERSIONS.contains(version)) {
      throw new NpyException(file + ": unsupported .npy format version " + version
          + " (supported: 1.0, 2.0, 3.0)");
    }
    int prefix = major == 1 ? 10 : 12;
    if (size < prefix) {
      throw new NpyException(
          file + ": file is " + size + " bytes, too short for the .npy header; it is truncated");
    }
    long headerLength = major == 1
        ? npy.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8) & 0xffff
        : npy.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8)
            & 0xffffffffL;
    if (headerLength > size - prefix) {
      throw new NpyException(file + ": header length " + headerLength
          + " is larger than the rest of the file (" + (size - prefix)
          + " bytes); the file is truncated");
    }
    byte[] headerBytes = npy.asSlice(prefix, headerLength).toArray(ValueLayout.JAVA_BYTE);
    NpyHeader header = NpyHeader.parse(file, headerText(file, headerBytes, major));
    DType dtype = header.descr().dtype();
    long[] shape = header.shape();
    long dataStart = prefix + headerLength;
    long needed;
    try {
      needed = Math.multiplyExact(dtype.byteSize(), elementCount(shape));
    } catch (ArithmeticException e) {
      throw new NpyException(file + ": shape " + NpyHeader.renderShape(shape) + " is too large");
    }
    long available = size - dataStart;
    String what = "shape " + NpyHeader.renderShape(shape) + " of '" + header.descr().text() + "'";
    if (available < needed) {
      throw new NpyException(file + ": data is " + available + " bytes but " + what + " needs "
          + needed + "; the file is truncated");
    }
    if (available > needed) {
      throw new NpyException(file + ": " + (available - needed)
          + " bytes of trailing data after the " + needed + " bytes that " + what + " needs");
    }
    MemorySegment data = npy.asSlice(dataStart, needed);
    if (dtype == DType.BOOL) {
      checkBooleans(file, data);
    }
    boolean transpose = header.fortranOrder() && shape.length > 1;
    if (!transpose && !header.descr().needsSwap()) {
      return owned
          ? Tensor.wrap(dtype, shape, data)
          : Tensor.fromBytes(dtype, shape, data.toArray(ValueLayout.JAVA_BYTE));
    }
    return Tensor.wrap(dtype, shape, relayout(data, dtype.byteSize(), shape,
        header.fortranOrder(), header.descr().needsSwap()));
  }

  private static String headerText(String file, byte[] bytes, int major) {
    if (major < 3) {
      // Versions 1 and 2 define the header as latin-1 (in practice ASCII).
      return new String(bytes, StandardCharsets.ISO_8859_1);
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new NpyException(file + ": version 3.0 header is not valid UTF-8");
    }
  }

  private static void checkBooleans(String file, MemorySegment data) {
    for (long i = 0; i < data.byteSize(); i++) {
      byte b = data.get(ValueLayout.JAVA_BYTE, i);
      if (b != 0 && b != 1) {
        throw new NpyException(file + ": element " + i + " of the bool data is " + (b & 0xff)
            + ", not 0 or 1");
      }
    }
  }

  /**
   * Copies elements into row-major little-endian order: from column-major positions when
   * {@code fortran}, reversing each element's bytes when {@code swap}.
   */
  private static MemorySegment relayout(
      MemorySegment src, int width, long[] shape, boolean fortran, boolean swap) {
    MemorySegment out = Arena.ofAuto().allocate(Math.max(src.byteSize(), 1), 8)
        .asSlice(0, src.byteSize());
    long n = elementCount(shape);
    long[] colStrides = new long[shape.length];
    long s = 1;
    for (int k = 0; k < shape.length; k++) {
      colStrides[k] = s;
      s *= shape[k];
    }
    long[] coords = new long[shape.length];
    for (long i = 0; i < n; i++) {
      long from = i;
      if (fortran) {
        from = 0;
        for (int k = 0; k < shape.length; k++) {
          from += coords[k] * colStrides[k];
        }
      }
      for (int b = 0; b < width; b++) {
        byte v = src.get(ValueLayout.JAVA_BYTE, from * width + (swap ? width - 1 - b : b));
        out.set(ValueLayout.JAVA_BYTE, i * width + b, v);
      }
      for (int k = shape.length - 1; k >= 0; k--) { // next row-major coordinate
        if (++coords[k] < shape[k]) {
          break;
        }
        coords[k] = 0;
      }
    }
    return out;
  }

  // ---- writing ----

  /** Magic, version, header length and the padded header dict, as {@code numpy.save} writes them. */
  private static byte[] header(Tensor tensor) {
    String dict = NpyHeader.format(NpyDescr.textOf(tensor.dtype()), tensor.shape());
    byte[] text = dict.getBytes(StandardCharsets.ISO_8859_1);
    int hlen = text.length + 1;
    // Version 1.0 unless its 16-bit header length cannot hold the padded header, as NumPy does.
    int version = hlen + ALIGN - (10 + hlen) % ALIGN <= 0xffff ? 1 : 2;
    int prefix = version == 1 ? 10 : 12;
    // NumPy always pads, by a full ALIGN when already aligned; match it byte for byte.
    int pad = ALIGN - (prefix + hlen) % ALIGN;
    int headerLength = hlen + pad;
    byte[] out = new byte[prefix + headerLength];
    System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
    out[6] = (byte) version;
    out[7] = 0;
    for (int i = 0; i < (version == 1 ? 2 : 4); i++) {
      out[8 + i] = (byte) (headerLength >>> (8 * i));
    }
    System.arraycopy(text, 0, out, prefix, text.length);
    Arrays.fill(out, prefix + text.length, out.length - 1, (byte) ' ');
    out[out.length - 1] = '\n';
    return out;
  }

  private static void writeData(OutputStream out, Tensor tensor) throws IOException {
    MemorySegment data = tensor.data();
    byte[] chunk = new byte[(int) Math.min(data.byteSize(), 1 << 20)];
    for (long off = 0; off < data.byteSize(); off += chunk.length) {
      int n = (int) Math.min(chunk.length, data.byteSize() - off);
      MemorySegment.copy(data, ValueLayout.JAVA_BYTE, off, chunk, 0, n);
      out.write(chunk, 0, n);
    }
  }

  private static long elementCount(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  private static String hex(MemorySegment seg, long count) {
    StringBuilder sb = new StringBuilder();
    for (long i = 0; i < count; i++) {
      sb.append(i > 0 ? " " : "")
          .append(String.format("%02x", seg.get(ValueLayout.JAVA_BYTE, i) & 0xff));
    }
    return count == 0 ? "nothing (the file is empty)" : sb.toString();
  }
}
