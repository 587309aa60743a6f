package dev.kiln.codegen.jit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Cache entries as files {@code <key hash>.kernel} in one directory, which several threads and
 * several processes may share.
 *
 * <p>Writers never expose a partial file: an entry is written to a temporary file of its own in the
 * same directory, forced to disk, then atomically renamed over the entry's name. Concurrent writers
 * of one key write identical bytes, so whichever rename lands last is as good as the first. Readers
 * check the entry's format, length, checksum and full key; an entry that fails is reported in one
 * warning, deleted and treated as a miss, so a damaged cache costs a recompile, never a crash or a
 * wrong kernel.
 *
 * <p>The directory holds at most {@code maxBytes} of entries (default {@link #DEFAULT_MAX_BYTES}):
 * after a store that passes it, the least recently used entries (by modification time, which a
 * hit refreshes) are deleted until the entries take at most three quarters of it. Another process
 * reading an entry being deleted gets a miss and compiles.
 *
 * <p>If the directory cannot be created this cache does nothing; if an entry cannot be written the
 * cache warns once and stops writing (reads go on).
 */
final class DiskCache {
  static final String ENTRY_SUFFIX = ".kernel";
  private static final String TEMP_SUFFIX = ".tmp";
  /** Larger files are not entries this code wrote; refuse before reading them into memory. */
  private static final long MAX_ENTRY_BYTES = 512L << 20;
  /** Temporary files older than this were left by a process that died mid-write. */
  private static final Duration STALE_TEMP_AGE = Duration.ofHours(1);

  private static final System.Logger LOG = System.getLogger(KernelCache.class.getName());

  /** One GiB: thousands of models' kernels (a ResNet-18's program is a few hundred KiB). */
  static final long DEFAULT_MAX_BYTES = 1L << 30;

  private final Path directory;
  private final long maxBytes;
  private final boolean usable;
  private final AtomicBoolean writable = new AtomicBoolean(true);

  DiskCache(Path directory) {
    this(directory, DEFAULT_MAX_BYTES);
  }

  DiskCache(Path directory, long maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("a kernel cache needs a positive size limit, got " + maxBytes);
    }
    this.directory = directory.toAbsolutePath().normalize();
    this.maxBytes = maxBytes;
    this.usable = prepare(this.directory);
    if (usable) {
      deleteStaleTempFiles();
      trimToLimit();
    }
  }

  Path directory() {
    return directory;
  }

  /** False if the directory could not be created; the cache then only lives in memory. */
  boolean usable() {
    return usable;
  }

  /** False once a write failed. */
  boolean writable() {
    return usable && writable.get();
  }

  Path entryPath(CacheKey key) {
    return directory.resolve(key.hash() + ENTRY_SUFFIX);
  }

  /** The entry of {@code key}, if a valid one is on disk. */
  Optional<CompiledClasses> load(CacheKey key) {
    if (!usable) {
      return Optional.empty();
    }
    Path path = entryPath(key);
    byte[] file;
    try {
      long size = Files.size(path);
      if (size > MAX_ENTRY_BYTES) {
        discard(path, size + " bytes, larger than any entry");
        return Optional.empty();
      }
      file = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "kernel cache: cannot read " + path + " (" + e
          + "); compiling instead");
      return Optional.empty();
    }
    CacheEntryFormat.Entry entry;
    try {
      entry = CacheEntryFormat.decode(file);
    } catch (CacheEntryFormat.CorruptEntryException e) {
      discard(path, e.getMessage());
      return Optional.empty();
    }
    if (!entry.keyText().equals(key.text())) {
      // Same hash, different key: a SHA-256 collision, or a file copied under the wrong name.
      discard(path, "it holds a different key than its name says");
      return Optional.empty();
    }
    touch(path);
    return Optional.of(entry.classes());
  }

  /** Marks an entry as just used, so that trimming keeps it over older ones. */
  private static void touch(Path path) {
    try {
      Files.setLastModifiedTime(path, java.nio.file.attribute.FileTime.from(Instant.now()));
    } catch (IOException | SecurityException e) {
      // A read-only cache still serves hits; it just cannot order them.
    }
  }

  /**
   * Deletes the least recently used entries while the entries take more than {@code maxBytes},
   * down to three quarters of it (so that not every store pays for a trim).
   */
  private void trimToLimit() {
    record Entry(Path path, long bytes, long used) {}
    java.util.List<Entry> entries = new java.util.ArrayList<>();
    long total = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + ENTRY_SUFFIX)) {
      for (Path file : files) {
        try {
          var attributes = Files.readAttributes(file,
              java.nio.file.attribute.BasicFileAttributes.class);
          entries.add(new Entry(file, attributes.size(), attributes.lastModifiedTime().toMillis()));
          total += attributes.size();
        } catch (IOException e) {
          // Deleted by another process meanwhile.
        }
      }
    } catch (IOException | SecurityException e) {
      return; // Housekeeping only.
    }
    if (total <= maxBytes) {
      return;
    }
    entries.sort(java.util.Comparator.comparingLong(Entry::used));
    long target = maxBytes / 4 * 3;
    for (Entry e : entries) {
      if (total <= target) {
        break;
      }
      deleteQuietly(e.path());
      total -= e.bytes();
    }
  }

  /** Writes the entry of {@code key}; failures are warned about once and otherwise ignored. */
  void store(CacheKey key, CompiledClasses classes) {
    if (!writable()) {
      return;
    }
    byte[] bytes = CacheEntryFormat.encode(key, classes);
    Path target = entryPath(key);
    Path temp = null;
    try {
      temp = Files.createTempFile(directory, key.hash() + ".", TEMP_SUFFIX);
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        // Data first, then the rename: after a crash the name points at complete bytes or at
        // nothing, never at a hole the checksum would have to catch.
        channel.force(true);
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        trimToLimit();
      } catch (FileAlreadyExistsException | java.nio.file.AccessDeniedException e) {
        // Platforms whose rename does not replace an existing file, or not one another process
        // has open (Windows), end up here when another writer stored the same bytes first.
        if (!Files.exists(target)) {
          throw e;
        }
      }
    } catch (AtomicMoveNotSupportedException e) {
      disableWrites("the file system of " + directory + " cannot rename atomically");
    } catch (IOException | SecurityException e) {
      disableWrites("cannot write to " + directory + " (" + e + ")");
    } finally {
      if (temp != null) {
        deleteQuietly(temp);
      }
    }
  }

  private void disableWrites(String reason) {
    if (writable.compareAndSet(true, false)) {
      LOG.log(System.Logger.Level.WARNING, "kernel cache: " + reason
          + "; compiled kernels will not be saved to disk for the rest of this run");
    }
  }

  private void discard(Path path, String reason) {
    LOG.log(System.Logger.Level.WARNING,
        "kernel cache: ignoring bad entry " + path + ": " + reason + "; recompiling");
    deleteQuietly(path);
  }

  private static boolean prepare(Path directory) {
    try {
      Files.createDirectories(directory);
      return true;
    } catch (IOException | SecurityException e) {
      LOG.log(System.Logger.Level.WARNING, "kernel cache: cannot use directory " + directory
          + " (" + e + "); compiled kernels will only be cached in memory");
      return false;
    }
  }

  private void deleteStaleTempFiles() {
    Instant cutoff = Instant.now().minus(STALE_TEMP_AGE);
    try (DirectoryStream<Path> temps = Files.newDirectoryStream(directory, "*" + TEMP_SUFFIX)) {
      for (Path temp : temps) {
        try {
          if (Files.getLastModifiedTime(temp).toInstant().isBefore(cutoff)) {
            deleteQuietly(temp);
          }
        } catch (IOException e) {
          // Gone already (another process cleaned up), or unreadable: not ours to worry about.
        }
      }
    } catch (IOException | SecurityException e) {
      // Housekeeping only.
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException | SecurityException e) {
      // Left behind: a stale temp file is cleaned up later, a bad entry is rewritten on store.
    }
  }
}
