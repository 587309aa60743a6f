package dev.kiln.codegen.jit;

import com.google.common.collect.ImmutableSortedMap;
import com.google.common.collect.ImmutableSortedSet;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * The class files of one compiled unit, by binary name ({@code dev.kiln.gen.Model$Kernel0}):
 * every top-level, nested and anonymous class javac produced for the sources of one compile call.
 * This is what the kernel cache stores, in memory and on disk; classes are defined from it by a
 * {@link ModelClassLoader}.
 *
 * <p>Immutable: the bytes are copied in and never handed out except as copies.
 */
public final class CompiledClasses {
  private final ImmutableSortedMap<String, byte[]> classes;

  private CompiledClasses(ImmutableSortedMap<String, byte[]> classes) {
    this.classes = classes;
  }

  /** Copies {@code classes}; names must be non-empty and there must be at least one class. */
  public static CompiledClasses of(Map<String, byte[]> classes) {
    if (classes.isEmpty()) {
      throw new IllegalArgumentException("a compiled unit needs at least one class");
    }
    ImmutableSortedMap.Builder<String, byte[]> copy = ImmutableSortedMap.naturalOrder();
    classes.forEach((name, bytes) -> {
      if (name.isEmpty()) {
        throw new IllegalArgumentException("a class name must not be empty");
      }
      copy.put(name, bytes.clone());
    });
    return new CompiledClasses(copy.build());
  }

  /** Binary names of all classes, sorted. */
  public ImmutableSortedSet<String> names() {
    return classes.keySet();
  }

  public boolean contains(String binaryName) {
    return classes.containsKey(binaryName);
  }

  /** A copy of the class file of {@code binaryName}, if this unit has it. */
  public Optional<byte[]> bytes(String binaryName) {
    return Optional.ofNullable(classes.get(binaryName)).map(byte[]::clone);
  }

  /** The class file itself, not a copy: for the class loader and the cache format, which only read. */
  byte[] bytesNoCopy(String binaryName) {
    return classes.get(binaryName);
  }

  /** Sum of the class files' sizes, for statistics. */
  public long totalBytes() {
    return classes.values().stream().mapToLong(b -> b.length).sum();
  }

  /** Same names and identical class files. */
  public boolean sameAs(CompiledClasses other) {
    if (!classes.keySet().equals(other.classes.keySet())) {
      return false;
    }
    return classes.entrySet().stream()
        .allMatch(e -> Arrays.equals(e.getValue(), other.classes.get(e.getKey())));
  }

  @Override
  public String toString() {
    return "CompiledClasses" + classes.keySet() + " (" + totalBytes() + " bytes)";
  }
}
