package dev.kiln.frontend.json;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Optional;

/**
 * A parsed JSON value. Numbers keep their source text, so that a reader decides what an integer
 * is (a header field of type {@code u64} must not silently accept {@code 2.5} or {@code 1e30}).
 */
public sealed interface JsonValue {

  /** An object; members in source order, keys unique (the parser rejects duplicates). */
  record JsonObject(ImmutableMap<String, JsonValue> members) implements JsonValue {}

  record JsonArray(ImmutableList<JsonValue> elements) implements JsonValue {}

  record JsonString(String value) implements JsonValue {}

  /** A number as written, e.g. {@code -12}, {@code 2.0}, {@code 1e3}. */
  record JsonNumber(String text) implements JsonValue {
    /** The value if it is written as an integer ({@code 12}, not {@code 12.0}) that fits a long. */
    public Optional<Long> asLong() {
      if (text.contains(".") || text.contains("e") || text.contains("E")) {
        return Optional.empty();
      }
      BigInteger v = new BigInteger(text);
      return v.bitLength() < 64 ? Optional.of(v.longValueExact()) : Optional.empty();
    }

    public BigDecimal asBigDecimal() {
      return new BigDecimal(text);
    }
  }

  record JsonBoolean(boolean value) implements JsonValue {}

  record JsonNull() implements JsonValue {}

  /** The JSON spelling of this value's kind, for messages: "an object", "a string", ... */
  default String kindName() {
    return switch (this) {
      case JsonObject o -> "an object";
      case JsonArray a -> "an array";
      case JsonString s -> "a string";
      case JsonNumber n -> "a number";
      case JsonBoolean b -> "a boolean";
      case JsonNull n -> "null";
    };
  }
}
