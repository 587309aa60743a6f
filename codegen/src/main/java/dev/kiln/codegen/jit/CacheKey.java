package dev.kiln.codegen.jit;

import com.google.common.collect.ImmutableSortedMap;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Identifies a compiled unit by everything that changes the code emitted for it: a set of named
 * parts (the printed loop IR, the vector shape, code generation options, ...) plus, always, the
 * code generator's version and the JDK's version, which the builder adds itself so that no caller
 * can forget them.
 *
 * <p>The key's {@link #text() text} lists the parts sorted by name, each value length-prefixed so
 * no two different sets of parts print alike; its {@link #hash() hash} is the SHA-256 of that text
 * and names the cache entry. Immutable.
 */
public final class CacheKey {
  /** Part added by the builder: {@link CodegenVersion#CURRENT}. */
  public static final String CODEGEN_PART = "codegen";
  /** Part added by the builder: {@link Runtime#version()}, since javac and the class file version follow it. */
  public static final String JDK_PART = "jdk";

  private static final Pattern PART_NAME = Pattern.compile("[a-z][a-z0-9_.-]*");

  private final ImmutableSortedMap<String, String> parts;
  private final String text;
  private final String hash;

  private CacheKey(Map<String, String> parts) {
    this.parts = ImmutableSortedMap.copyOf(parts);
    StringBuilder text = new StringBuilder();
    this.parts.forEach((name, value) ->
        text.append(name).append(' ').append(value.length()).append(' ').append(value).append('\n'));
    this.text = text.toString();
    this.hash = sha256Hex(this.text);
  }

  /** A builder that already holds the code generator's and this JDK's version. */
  public static Builder builder() {
    return new Builder(CodegenVersion.CURRENT, Runtime.version().toString());
  }

  /** For tests: a builder as another generator or JDK would make it. */
  static Builder builder(String codegenVersion, String jdkVersion) {
    return new Builder(codegenVersion, jdkVersion);
  }

  /** All parts, by name, the automatic ones included. */
  public ImmutableSortedMap<String, String> parts() {
    return parts;
  }

  /** The canonical text the hash is computed over; stored in disk entries to rule out collisions. */
  public String text() {
    return text;
  }

  /** SHA-256 of {@link #text()}, 64 lowercase hex digits. */
  public String hash() {
    return hash;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CacheKey other && text.equals(other.text);
  }

  @Override
  public int hashCode() {
    return hash.hashCode();
  }

  /** The hash and the part names (values such as the IR can be long). */
  @Override
  public String toString() {
    return "CacheKey[" + hash.substring(0, 16) + " " + parts.keySet() + "]";
  }

  static String sha256Hex(String text) {
    return HexFormat.of().formatHex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform must support SHA-256", e);
    }
  }

  /** Collects named parts; each name once. Not thread-safe; the key it builds is. */
  public static final class Builder {
    private final Map<String, String> parts = new TreeMap<>();

    private Builder(String codegenVersion, String jdkVersion) {
      parts.put(CODEGEN_PART, codegenVersion);
      parts.put(JDK_PART, jdkVersion);
    }

    /**
     * Adds a part.
     *
     * @param name lowercase, e.g. {@code ir}, {@code vector.float.lanes}, {@code options}
     * @throws IllegalArgumentException if the name is malformed or already present (the automatic
     *     {@code codegen} and {@code jdk} parts included)
     */
    public Builder part(String name, String value) {
      if (!PART_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("cache key part name '" + name
            + "' must be lowercase letters, digits, '_', '.' or '-', starting with a letter");
      }
      if (parts.containsKey(name)) {
        throw new IllegalArgumentException("cache key part '" + name + "' is already set"
            + (name.equals(CODEGEN_PART) || name.equals(JDK_PART) ? " (the builder adds it itself)" : ""));
      }
      parts.put(name, java.util.Objects.requireNonNull(value, "value of part " + name));
      return this;
    }

    public Builder part(String name, long value) {
      return part(name, Long.toString(value));
    }

    public CacheKey build() {
      return new CacheKey(parts);
    }
  }
}
