package dev.kiln.runtime.artifact;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.compiled.CompiledProgram;
import dev.kiln.runtime.compiled.ExecutableProgram;
import dev.kiln.runtime.compiled.FrameLayout;
import dev.kiln.runtime.compiled.ParallelExecutor;
import dev.kiln.runtime.compiled.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Loads an artifact jar ({@link ArtifactFormat}) into a runnable {@link ArtifactModel}, without a
 * compiler: reads and checks the manifest (format version first, then {@link Compatibility}),
 * checks every entry's size and CRC-32, defines the classes in an {@link ArtifactClassLoader} of
 * their own and rebuilds the frame layout and constants.
 *
 * <p><b>Loading an artifact runs its code.</b> The classes in the jar are defined and executed with
 * the permissions of the loading process; the checks here catch corruption and version skew, not
 * malice. Load only artifacts you would run as a program.
 */
public final class ArtifactReader {
  private ArtifactReader() {}

  /**
   * @param executor runs the parallel loops of the artifact's code
   * @throws ArtifactException with a message naming the file when it cannot be loaded
   */
  public static ArtifactModel load(Path file, ParallelExecutor executor) {
    long start = System.nanoTime();
    String where = file.toString();
    if (Files.isDirectory(file)) {
      throw new ArtifactException(where, "is a directory, not an artifact jar");
    }
    try (ZipFile zip = new ZipFile(file.toFile())) {
      ArtifactManifest m = readManifest(zip, where);
      Compatibility.check(where, m);
      Map<String, byte[]> entries = readEntries(zip, m, where);
      FrameLayout layout = layout(m, where);
      Map<String, byte[]> classes = new LinkedHashMap<>();
      String prefix = ArtifactFormat.CLASSES_DIR;
      entries.forEach((name, bytes) -> {
        if (name.startsWith(prefix) && name.endsWith(".class")) {
          classes.put(name.substring(prefix.length(), name.length() - ".class".length())
              .replace('/', '.'), bytes);
        }
      });
      Map<Buffer, Tensor> constants = constants(layout, entries, where);
      ArtifactClassLoader loader = new ArtifactClassLoader("kiln-artifact-" + m.modelName(),
          classes, ArtifactReader.class.getClassLoader());
      CompiledProgram program = instantiate(loader, m, classes, where);
      ExecutableProgram executable = new ExecutableProgram(program, layout, constants);
      return new ArtifactModel(file, m, executable, loader, executor, System.nanoTime() - start);
    } catch (NoSuchFileException e) {
      throw new ArtifactException(where, "no such file");
    } catch (AccessDeniedException e) {
      throw new ArtifactException(where, "permission denied");
    } catch (ZipException e) {
      throw new ArtifactException(where, "not a Kiln artifact: not a readable jar ("
          + e.getMessage() + "); the file may be truncated or corrupt");
    } catch (IOException e) {
      throw new ArtifactException(where, "cannot read the artifact: " + e.getMessage(), e);
    }
  }

  private static ArtifactManifest readManifest(ZipFile zip, String where) throws IOException {
    ZipEntry entry = zip.getEntry(ArtifactFormat.MANIFEST_ENTRY);
    if (entry == null) {
      throw new ArtifactException(where, "not a Kiln artifact: it has no "
          + ArtifactFormat.MANIFEST_ENTRY + " entry");
    }
    String text = new String(read(zip, entry, where), StandardCharsets.UTF_8);
    try {
      int format = ManifestText.readFormat(text);
      if (format > ArtifactFormat.VERSION) {
        throw new ArtifactException(where, "artifact format " + format
            + " is newer than this Kiln " + KilnVersion.current() + " reads (format "
            + ArtifactFormat.VERSION + "); load it with a newer Kiln, or compile the model again "
            + "with this one");
      }
      if (format < 1) {
        throw new ArtifactException(where, "corrupt artifact manifest: format " + format
            + " does not exist");
      }
      return ManifestText.read(text);
    } catch (ManifestText.MalformedException e) {
      throw new ArtifactException(where, "corrupt artifact manifest: " + e.getMessage());
    }
  }

  /** Every entry the manifest lists, checked against its size and CRC-32. */
  private static Map<String, byte[]> readEntries(ZipFile zip, ArtifactManifest m, String where)
      throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    for (Map.Entry<String, ArtifactManifest.EntryCheck> e : m.entries().entrySet()) {
      String name = e.getKey();
      ZipEntry entry = zip.getEntry(name);
      if (entry == null) {
        throw new ArtifactException(where, "corrupt artifact: entry " + name + " is missing");
      }
      byte[] bytes = read(zip, entry, where);
      if (bytes.length != e.getValue().size()) {
        throw new ArtifactException(where, "corrupt artifact: entry " + name + " has "
            + bytes.length + " bytes, the manifest says " + e.getValue().size());
      }
      long crc = ArtifactWriter.crc(bytes);
      if (crc != e.getValue().crc32()) {
        throw new ArtifactException(where, "corrupt artifact: entry " + name
            + " fails its CRC-32 check (" + Long.toHexString(crc) + ", the manifest says "
            + Long.toHexString(e.getValue().crc32()) + ")");
      }
      entries.put(name, bytes);
    }
    if (!entries.containsKey(ArtifactFormat.classEntry(m.programClass()))) {
      throw new ArtifactException(where, "corrupt artifact: entry "
          + ArtifactFormat.classEntry(m.programClass()) + " is missing");
    }
    return entries;
  }

  private static byte[] read(ZipFile zip, ZipEntry entry, String where) throws IOException {
    try (InputStream in = zip.getInputStream(entry)) {
      return in.readAllBytes();
    } catch (ZipException | java.io.EOFException e) {
      throw new ArtifactException(where, "corrupt artifact: entry " + entry.getName()
          + " cannot be read (" + e.getMessage() + ")");
    }
  }

  /** The frame layout, checked against the signature: inputs and outputs slot by slot. */
  private static FrameLayout layout(ArtifactManifest m, String where) {
    ImmutableList.Builder<FrameLayout.Slot> slots = ImmutableList.builder();
    List<ArtifactManifest.TensorSpec> ins = new java.util.ArrayList<>();
    List<ArtifactManifest.TensorSpec> outs = new java.util.ArrayList<>();
    try {
      for (ArtifactManifest.SlotSpec s : m.slots()) {
        Buffer b = new Buffer(s.buffer(), s.dtype(), s.shape(), s.role(), s.origin());
        slots.add(new FrameLayout.Slot(b, s.arenaOffset()));
        if (s.role() == BufferRole.SCRATCH) {
          Integer arena = m.arenas().get(Storage.of(b.dtype()));
          if (arena == null || s.arenaOffset() < 0 || (long) s.arenaOffset() + b.size() > arena) {
            throw new ArtifactException(where, "corrupt artifact manifest: scratch buffer %"
                + s.buffer() + " does not fit its arena");
          }
        }
        ArtifactManifest.TensorSpec spec = new ArtifactManifest.TensorSpec(s.buffer(), s.dtype(),
            s.shape(), "");
        if (s.role() == BufferRole.INPUT) {
          ins.add(spec);
        } else if (s.role() == BufferRole.OUTPUT) {
          outs.add(spec);
        }
      }
    } catch (IllegalArgumentException e) {
      throw new ArtifactException(where, "corrupt artifact manifest: " + e.getMessage());
    }
    checkSignature(where, "input", m.inputs(), ins);
    checkSignature(where, "output", m.outputs(), outs);
    return new FrameLayout(slots.build(), m.arenas());
  }

  private static void checkSignature(String where, String kind,
      List<ArtifactManifest.TensorSpec> declared, List<ArtifactManifest.TensorSpec> slots) {
    boolean same = declared.size() == slots.size();
    for (int i = 0; same && i < declared.size(); i++) {
      same = declared.get(i).dtype() == slots.get(i).dtype()
          && declared.get(i).shape().equals(slots.get(i).shape());
    }
    if (!same) {
      throw new ArtifactException(where, "corrupt artifact manifest: the " + kind
          + "s do not match the frame layout's " + kind + " slots");
    }
  }

  private static Map<Buffer, Tensor> constants(FrameLayout layout, Map<String, byte[]> entries,
      String where) {
    Map<Buffer, Tensor> constants = new HashMap<>();
    for (int i = 0; i < layout.slots().size(); i++) {
      Buffer b = layout.slots().get(i).buffer();
      if (b.role() != BufferRole.CONSTANT) {
        continue;
      }
      String name = ArtifactFormat.weightsEntry(i);
      byte[] data = entries.get(name);
      if (data == null) {
        throw new ArtifactException(where, "corrupt artifact: entry " + name
            + " (the data of constant %" + b.name() + ") is missing");
      }
      long expected = (long) b.size() * b.dtype().byteSize();
      if (data.length != expected) {
        throw new ArtifactException(where, "corrupt artifact: entry " + name + " has "
            + data.length + " bytes, but constant " + b.declaration() + " needs " + expected);
      }
      constants.put(b, Tensor.wrap(b.dtype(), b.shapeArray(), java.lang.foreign.MemorySegment.ofArray(data)));
    }
    return constants;
  }

  private static CompiledProgram instantiate(ArtifactClassLoader loader, ArtifactManifest m,
      Map<String, byte[]> classes, String where) {
    try {
      // Define and initialize every class now, so a class that does not link fails the load,
      // not a run.
      for (String name : classes.keySet()) {
        Class.forName(name, true, loader);
      }
      Class<?> type = Class.forName(m.programClass(), true, loader);
      if (!CompiledProgram.class.isAssignableFrom(type)) {
        throw new ArtifactException(where, "corrupt artifact: " + m.programClass()
            + " does not implement " + CompiledProgram.class.getName());
      }
      return (CompiledProgram) type.getConstructor().newInstance();
    } catch (LinkageError | ReflectiveOperationException e) {
      Throwable cause = e instanceof InvocationTargetException ite ? ite.getCause() : e;
      throw new ArtifactException(where, "its code does not load on this runtime (compiled by "
          + "Kiln " + m.kilnVersion() + " with JDK " + m.javaVersion() + "; this is Kiln "
          + KilnVersion.current() + " on JDK " + Runtime.version() + "): " + cause, e);
    }
  }
}
