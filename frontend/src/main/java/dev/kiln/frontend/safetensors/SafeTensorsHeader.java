package dev.kiln.frontend.safetensors;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.frontend.json.Json;
import dev.kiln.frontend.json.JsonSyntaxException;
import dev.kiln.frontend.json.JsonValue;
import dev.kiln.frontend.json.JsonValue.JsonArray;
import dev.kiln.frontend.json.JsonValue.JsonNumber;
import dev.kiln.frontend.json.JsonValue.JsonObject;
import dev.kiln.frontend.json.JsonValue.JsonString;
import dev.kiln.ir.type.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The validated JSON header of a safetensors file: every entry's dtype is known, its shape is
 * non-negative, its byte range lies inside the data section, has exactly the size dtype and
 * shape call for, and overlaps no other entry's range.
 *
 * <p>Gaps between ranges are accepted: they do no harm, and other writers may align tensors.
 */
record SafeTensorsHeader(ImmutableList<Entry> entries, ImmutableMap<String, String> metadata) {

  static final String METADATA_KEY = "__metadata__";
  private static final Set<String> ENTRY_FIELDS = Set.of("dtype", "shape", "data_offsets");

  /** One tensor: bytes {@code [begin, end)} of the data section. */
  record Entry(String key, DType dtype, long[] shape, long begin, long end) {
    String offsets() {
      return "[" + begin + ", " + end + "]";
    }
  }

  /**
   * Parses and validates {@code json}.
   *
   * @param file the file name for messages
   * @param dataSize bytes in the data section, which the ranges must stay within
   */
  static SafeTensorsHeader parse(String file, String json, long dataSize) {
    JsonValue root;
    try {
      root = Json.parse(json);
    } catch (JsonSyntaxException e) {
      throw new SafeTensorsException(
          file + ": header is not valid JSON: " + e.problem() + " at character " + e.position());
    }
    if (!(root instanceof JsonObject top)) {
      throw new SafeTensorsException(
          file + ": header must be a JSON object, got " + root.kindName());
    }
    List<Entry> entries = new ArrayList<>();
    ImmutableMap<String, String> metadata = ImmutableMap.of();
    for (Map.Entry<String, JsonValue> member : top.members().entrySet()) {
      if (member.getKey().equals(METADATA_KEY)) {
        metadata = metadata(file, member.getValue());
      } else {
        entries.add(entry(file, member.getKey(), member.getValue(), dataSize));
      }
    }
    checkNoOverlap(file, entries);
    return new SafeTensorsHeader(ImmutableList.copyOf(entries), metadata);
  }

  private static ImmutableMap<String, String> metadata(String file, JsonValue value) {
    if (!(value instanceof JsonObject obj)) {
      throw new SafeTensorsException(
          file + ": \"" + METADATA_KEY + "\" must be an object, got " + value.kindName());
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonValue> e : obj.members().entrySet()) {
      if (!(e.getValue() instanceof JsonString s)) {
        throw new SafeTensorsException(
            file + ": \"" + METADATA_KEY + "\" entry " + Json.quote(e.getKey())
                + " must be a string, got " + e.getValue().kindName());
      }
      out.put(e.getKey(), s.value());
    }
    return ImmutableMap.copyOf(out);
  }

  private static Entry entry(String file, String key, JsonValue value, long dataSize) {
    String where = file + ": tensor " + Json.quote(key) + ": ";
    if (!(value instanceof JsonObject obj)) {
      throw new SafeTensorsException(where + "expected an object, got " + value.kindName());
    }
    for (String field : obj.members().keySet()) {
      if (!ENTRY_FIELDS.contains(field)) {
        throw new SafeTensorsException(where + "unknown field " + Json.quote(field)
            + " (expected \"dtype\", \"shape\", \"data_offsets\")");
      }
    }
    DType dtype = dtype(where, field(where, obj, "dtype"));
    long[] shape = shape(where, field(where, obj, "shape"));
    long[] offsets = offsets(where, field(where, obj, "data_offsets"));
    long begin = offsets[0];
    long end = offsets[1];
    if (end < begin) {
      throw new SafeTensorsException(
          where + "data_offsets [" + begin + ", " + end + "] end before they begin");
    }
    if (end > dataSize) {
      throw new SafeTensorsException(where + "data_offsets [" + begin + ", " + end
          + "] reach past the end of the data section (" + dataSize
          + " bytes); the file is truncated or the header is wrong");
    }
    long expected = byteSize(where, dtype, shape);
    if (end - begin != expected) {
      throw new SafeTensorsException(where + SafeTensorsDTypes.nameOf(dtype) + Arrays.toString(shape)
          + " needs " + expected + " bytes but data_offsets [" + begin + ", " + end + "] hold "
          + (end - begin));
    }
    return new Entry(key, dtype, shape, begin, end);
  }

  private static JsonValue field(String where, JsonObject obj, String name) {
    JsonValue v = obj.members().get(name);
    if (v == null) {
      throw new SafeTensorsException(where + "missing field \"" + name + "\"");
    }
    return v;
  }

  private static DType dtype(String where, JsonValue v) {
    if (!(v instanceof JsonString s)) {
      throw new SafeTensorsException(where + "\"dtype\" must be a string, got " + v.kindName());
    }
    return SafeTensorsDTypes.fromName(s.value()).orElseThrow(() -> new SafeTensorsException(
        where + "unknown dtype " + Json.quote(s.value())
            + " (supported: " + SafeTensorsDTypes.supported() + ")"));
  }

  private static long[] shape(String where, JsonValue v) {
    if (!(v instanceof JsonArray a)) {
      throw new SafeTensorsException(where + "\"shape\" must be an array, got " + v.kindName());
    }
    long[] shape = new long[a.elements().size()];
    for (int i = 0; i < shape.length; i++) {
      Optional<Long> d = integer(a.elements().get(i));
      if (d.isEmpty() || d.get() < 0) {
        throw new SafeTensorsException(where + "\"shape\" dimension " + i
            + " must be a non-negative integer, got " + render(a.elements().get(i)));
      }
      shape[i] = d.get();
    }
    return shape;
  }

  private static long[] offsets(String where, JsonValue v) {
    if (v instanceof JsonArray a && a.elements().size() == 2) {
      Optional<Long> begin = integer(a.elements().get(0));
      Optional<Long> end = integer(a.elements().get(1));
      if (begin.isPresent() && end.isPresent() && begin.get() >= 0 && end.get() >= 0) {
        return new long[] {begin.get(), end.get()};
      }
    }
    throw new SafeTensorsException(
        where + "\"data_offsets\" must be two non-negative integers [begin, end], got " + render(v));
  }

  private static long byteSize(String where, DType dtype, long[] shape) {
    try {
      long n = dtype.byteSize();
      for (long d : shape) {
        n = Math.multiplyExact(n, d);
      }
      return n;
    } catch (ArithmeticException e) {
      throw new SafeTensorsException(where + "shape " + Arrays.toString(shape) + " is too large");
    }
  }

  private static Optional<Long> integer(JsonValue v) {
    return v instanceof JsonNumber n ? n.asLong() : Optional.empty();
  }

  /** A short rendering of a JSON value for messages. */
  private static String render(JsonValue v) {
    return switch (v) {
      case JsonNumber n -> n.text();
      case JsonString s -> Json.quote(s.value());
      case JsonArray a -> a.elements().stream().map(SafeTensorsHeader::render).toList().toString();
      default -> v.kindName();
    };
  }

  private static void checkNoOverlap(String file, List<Entry> entries) {
    List<Entry> byBegin = entries.stream()
        .filter(e -> e.end() > e.begin()) // empty tensors occupy no bytes
        .sorted(Comparator.comparingLong(Entry::begin).thenComparing(Entry::key))
        .toList();
    for (int i = 1; i < byBegin.size(); i++) {
      Entry prev = byBegin.get(i - 1);
      Entry cur = byBegin.get(i);
      if (cur.begin() < prev.end()) {
        throw new SafeTensorsException(file + ": tensors " + Json.quote(prev.key()) + " and "
            + Json.quote(cur.key()) + " overlap: data_offsets " + prev.offsets() + " and "
            + cur.offsets());
      }
    }
  }
}
