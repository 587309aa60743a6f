package dev.kiln.runtime.artifact;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.compiled.Storage;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * The {@link ArtifactManifest} as Java properties text: readable with {@code unzip -p model.jar
 * kiln/artifact.properties}, any name escaped by the properties syntax, keys sorted so that the
 * same model compiles to the same bytes. Lists are {@code input.count} plus {@code input.0.name},
 * ...; shapes are comma-separated sizes ({@code 1,784}; empty for a scalar).
 */
final class ManifestText {
  /** A manifest that does not parse; the message names the key. */
  static final class MalformedException extends RuntimeException {
    MalformedException(String message) {
      super(message, null, false, false);
    }
  }

  private ManifestText() {}

  static String write(ArtifactManifest m) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("format", String.valueOf(m.format()));
    p.put("kiln.version", m.kilnVersion());
    p.put("runtime.abi", String.valueOf(m.runtimeAbi()));
    p.put("codegen.version", m.codegenVersion());
    p.put("java.version", m.javaVersion());
    p.put("java.feature", String.valueOf(m.javaFeature()));
    p.put("classfile.major", String.valueOf(m.classFileMajor()));
    p.put("vector.api", String.valueOf(m.usesVectorApi()));
    p.put("vector.float.lanes", String.valueOf(m.vectorFloatLanes()));
    p.put("model.name", m.modelName());
    p.put("program.class", m.programClass());
    writeTensors(p, "input", m.inputs());
    writeTensors(p, "output", m.outputs());
    p.put("slot.count", String.valueOf(m.slots().size()));
    for (int i = 0; i < m.slots().size(); i++) {
      ArtifactManifest.SlotSpec s = m.slots().get(i);
      p.put("slot." + i + ".buffer", s.buffer());
      p.put("slot." + i + ".origin", s.origin());
      p.put("slot." + i + ".role", s.role().text());
      p.put("slot." + i + ".dtype", s.dtype().text());
      p.put("slot." + i + ".shape", shape(s.shape()));
      p.put("slot." + i + ".offset", String.valueOf(s.arenaOffset()));
    }
    m.arenas().forEach((s, n) -> p.put("arena." + s.name().toLowerCase(Locale.ROOT), String.valueOf(n)));
    List<String> names = new ArrayList<>(m.entries().keySet());
    p.put("entry.count", String.valueOf(names.size()));
    for (int i = 0; i < names.size(); i++) {
      ArtifactManifest.EntryCheck e = m.entries().get(names.get(i));
      p.put("entry." + i + ".name", names.get(i));
      p.put("entry." + i + ".size", String.valueOf(e.size()));
      p.put("entry." + i + ".crc32", Long.toHexString(e.crc32()));
    }
    Properties props = new Properties();
    props.putAll(p);
    StringWriter text = new StringWriter();
    try {
      // Since JDK 18, store() writes keys in sorted order; the date comment is dropped below.
      props.store(text, null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return "# Kiln ahead-of-time artifact (see docs/compiler.md)\n" + text.toString().lines()
        .filter(l -> !l.startsWith("#")).collect(Collectors.joining("\n", "", "\n"));
  }

  private static void writeTensors(Map<String, String> p, String kind,
      List<ArtifactManifest.TensorSpec> specs) {
    p.put(kind + ".count", String.valueOf(specs.size()));
    for (int i = 0; i < specs.size(); i++) {
      ArtifactManifest.TensorSpec t = specs.get(i);
      p.put(kind + "." + i + ".name", t.name());
      p.put(kind + "." + i + ".dtype", t.dtype().text());
      p.put(kind + "." + i + ".shape", shape(t.shape()));
      p.put(kind + "." + i + ".declared", t.declared());
    }
  }

  private static String shape(List<Long> shape) {
    return shape.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  /** Only the format version, so that a newer format is named before anything else fails. */
  static int readFormat(String text) {
    return new Reader(parse(text)).integer("format");
  }

  /** @throws MalformedException naming the key that is missing or wrong */
  static ArtifactManifest read(String text) {
    Reader r = new Reader(parse(text));
    ImmutableList.Builder<ArtifactManifest.SlotSpec> slots = ImmutableList.builder();
    int slotCount = r.count("slot.count");
    for (int i = 0; i < slotCount; i++) {
      String k = "slot." + i + ".";
      slots.add(new ArtifactManifest.SlotSpec(r.string(k + "buffer"), r.string(k + "origin"),
          r.dtype(k + "dtype"), r.shape(k + "shape"), r.role(k + "role"), r.integer(k + "offset")));
    }
    Map<Storage, Integer> arenas = new EnumMap<>(Storage.class);
    for (Storage s : Storage.values()) {
      String key = "arena." + s.name().toLowerCase(Locale.ROOT);
      if (r.props.containsKey(key)) {
        arenas.put(s, r.integer(key));
      }
    }
    Map<String, ArtifactManifest.EntryCheck> entries = new LinkedHashMap<>();
    int entryCount = r.count("entry.count");
    for (int i = 0; i < entryCount; i++) {
      String k = "entry." + i + ".";
      String name = r.string(k + "name");
      if (entries.put(name, new ArtifactManifest.EntryCheck(r.longValue(k + "size"), r.hex(k + "crc32"))) != null) {
        throw new MalformedException("key '" + k + "name' repeats entry " + name);
      }
    }
    return new ArtifactManifest(r.integer("format"), r.string("kiln.version"),
        r.integer("runtime.abi"), r.string("codegen.version"), r.string("java.version"),
        r.integer("java.feature"), r.integer("classfile.major"), r.bool("vector.api"),
        r.integer("vector.float.lanes"), r.string("model.name"), r.string("program.class"),
        r.tensors("input"), r.tensors("output"), slots.build(), ImmutableMap.copyOf(arenas),
        ImmutableMap.copyOf(entries));
  }

  private static Properties parse(String text) {
    Properties p = new Properties();
    try {
      p.load(new StringReader(text));
    } catch (IOException | IllegalArgumentException e) {
      throw new MalformedException("it does not parse as properties: " + e.getMessage());
    }
    return p;
  }

  /** Typed reads of required keys. */
  private record Reader(Properties props) {
    String string(String key) {
      String v = props.getProperty(key);
      if (v == null) {
        throw new MalformedException("key '" + key + "' is missing");
      }
      return v;
    }

    int integer(String key) {
      long v = longValue(key);
      if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
        throw new MalformedException("key '" + key + "' is out of range: " + v);
      }
      return (int) v;
    }

    int count(String key) {
      int n = integer(key);
      if (n < 0) {
        throw new MalformedException("key '" + key + "' is negative: " + n);
      }
      return n;
    }

    long longValue(String key) {
      String v = string(key);
      try {
        return Long.parseLong(v.strip());
      } catch (NumberFormatException e) {
        throw new MalformedException("key '" + key + "' is not an integer: '" + v + "'");
      }
    }

    long hex(String key) {
      String v = string(key);
      try {
        return Long.parseLong(v.strip(), 16);
      } catch (NumberFormatException e) {
        throw new MalformedException("key '" + key + "' is not a hexadecimal number: '" + v + "'");
      }
    }

    boolean bool(String key) {
      return switch (string(key).strip()) {
        case "true" -> true;
        case "false" -> false;
        default -> throw new MalformedException("key '" + key + "' is not true or false: '"
            + string(key) + "'");
      };
    }

    DType dtype(String key) {
      String v = string(key);
      return DType.fromText(v.strip()).orElseThrow(
          () -> new MalformedException("key '" + key + "' is not a dtype: '" + v + "'"));
    }

    BufferRole role(String key) {
      String v = string(key);
      return Arrays.stream(BufferRole.values()).filter(r -> r.text().equals(v.strip())).findFirst()
          .orElseThrow(() -> new MalformedException("key '" + key + "' is not a buffer role: '"
              + v + "'"));
    }

    ImmutableList<Long> shape(String key) {
      String v = string(key).strip();
      if (v.isEmpty()) {
        return ImmutableList.of();
      }
      ImmutableList.Builder<Long> dims = ImmutableList.builder();
      for (String part : v.split(",", -1)) {
        try {
          long d = Long.parseLong(part.strip());
          if (d < 0) {
            throw new NumberFormatException();
          }
          dims.add(d);
        } catch (NumberFormatException e) {
          throw new MalformedException("key '" + key + "' is not a shape: '" + v + "'");
        }
      }
      return dims.build();
    }

    ImmutableList<ArtifactManifest.TensorSpec> tensors(String kind) {
      ImmutableList.Builder<ArtifactManifest.TensorSpec> specs = ImmutableList.builder();
      int n = count(kind + ".count");
      for (int i = 0; i < n; i++) {
        String k = kind + "." + i + ".";
        specs.add(new ArtifactManifest.TensorSpec(string(k + "name"), dtype(k + "dtype"),
            shape(k + "shape"), string(k + "declared")));
      }
      return specs.build();
    }
  }
}
