package dev.kiln.frontend.npy;

import dev.kiln.ir.type.DType;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * A NumPy dtype descriptor such as {@code <f4} or {@code |b1}: byte order, kind and item size.
 *
 * <p>Byte orders: {@code <} little-endian, {@code >} big-endian (converted on reading), {@code =}
 * (or none) the reading machine's native order, as NumPy reads it, and {@code |} "not
 * applicable", which only makes sense for 1-byte types and is rejected for wider ones rather than
 * guessed.
 *
 * @param order the byte order of multi-byte elements; irrelevant for 1-byte ones
 */
record NpyDescr(String text, DType dtype, ByteOrder order) {

  /** What each supported kind+size means, keyed without the byte-order character. */
  private static final Map<String, DType> TYPES = Map.ofEntries(
      Map.entry("f2", DType.F16),
      Map.entry("f4", DType.F32),
      Map.entry("f8", DType.F64),
      Map.entry("i1", DType.I8),
      Map.entry("u1", DType.U8),
      Map.entry("i2", DType.I16),
      Map.entry("u2", DType.U16),
      Map.entry("i4", DType.I32),
      Map.entry("u4", DType.U32),
      Map.entry("i8", DType.I64),
      Map.entry("u8", DType.U64),
      Map.entry("b1", DType.BOOL));

  static final String SUPPORTED = "<f2, <f4, <f8, |i1, |u1, <i2, <u2, <i4, <u4, <i8, <u8, |b1"
      + " (and their '>' and '=' byte orders)";

  /** Parses {@code descr}; {@code file} is for messages. */
  static NpyDescr parse(String file, String descr) {
    String body = descr;
    char orderChar = '=';
    if (!descr.isEmpty() && "<>|=".indexOf(descr.charAt(0)) >= 0) {
      orderChar = descr.charAt(0);
      body = descr.substring(1);
    }
    DType dtype = TYPES.get(body);
    if (dtype == null) {
      throw new NpyException(file + ": unsupported dtype '" + descr + "'" + why(body)
          + "; supported: " + SUPPORTED);
    }
    ByteOrder order = switch (orderChar) {
      case '<' -> ByteOrder.LITTLE_ENDIAN;
      case '>' -> ByteOrder.BIG_ENDIAN;
      case '|' -> {
        if (dtype.byteSize() > 1) {
          throw new NpyException(file + ": dtype '" + descr + "' gives byte order '|' (not "
              + "applicable) for a " + dtype.byteSize() + "-byte type; expected '<' or '>'");
        }
        yield ByteOrder.LITTLE_ENDIAN;
      }
      default -> ByteOrder.nativeOrder();
    };
    return new NpyDescr(descr, dtype, order);
  }

  /** The descr Kiln writes for {@code dtype}: little-endian, or {@code |} for 1-byte types. */
  static String textOf(DType dtype) {
    for (Map.Entry<String, DType> e : TYPES.entrySet()) {
      if (e.getValue() == dtype) {
        return (dtype.byteSize() == 1 ? "|" : "<") + e.getKey();
      }
    }
    throw new IllegalArgumentException(
        "NumPy has no standard dtype for " + dtype + "; cast the tensor to f32 first");
  }

  /** True when elements must be byte-swapped to become Kiln's little-endian storage. */
  boolean needsSwap() {
    return dtype.byteSize() > 1 && order == ByteOrder.BIG_ENDIAN;
  }

  /** A reason for kinds Kiln recognizes but does not support, e.g. " (complex numbers)". */
  private static String why(String body) {
    if (body.isEmpty()) {
      return "";
    }
    return switch (body.charAt(0)) {
      case 'c' -> " (complex numbers)";
      case 'O' -> " (Python objects, which would need unpickling)";
      case 'U' -> " (unicode strings)";
      case 'S', 'a' -> " (byte strings)";
      case 'V' -> " (raw or structured records)";
      case 'M', 'm' -> " (dates and times)";
      case 'f' -> " (no Kiln float type of this size)";
      default -> "";
    };
  }
}
