package dev.kiln.codegen.gemm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The data cache sizes GEMM blocking is derived from: read from Linux's
 * {@code /sys/devices/system/cpu/cpu0/cache/index*} when present, else defaults of a current
 * x86 server core (48 KiB L1d, 1 MiB L2, 32 MiB L3), which is what many VMs hide.
 *
 * @param l1 bytes of the level-1 data cache of one core
 * @param l2 bytes of the level-2 cache of one core
 * @param l3 bytes of the last-level cache (shared)
 * @param detected whether the sizes came from the system
 */
public record CacheSizes(long l1, long l2, long l3, boolean detected) {
  public static final CacheSizes DEFAULTS = new CacheSizes(48 << 10, 1 << 20, 32 << 20, false);

  private static final Path SYSFS = Path.of("/sys/devices/system/cpu/cpu0/cache");

  /** This machine's caches, or {@link #DEFAULTS} for any level it does not show. */
  public static CacheSizes detect() {
    return read(SYSFS);
  }

  /** The caches described under {@code dir} (a sysfs {@code cache} folder). */
  static CacheSizes read(Path dir) {
    long l1 = 0;
    long l2 = 0;
    long l3 = 0;
    for (int i = 0; i < 8; i++) {
      Path index = dir.resolve("index" + i);
      if (!Files.isDirectory(index)) {
        continue;
      }
      try {
        String type = Files.readString(index.resolve("type")).trim();
        int level = Integer.parseInt(Files.readString(index.resolve("level")).trim());
        long size = parseSize(Files.readString(index.resolve("size")).trim());
        if (type.equals("Instruction") || size <= 0) {
          continue;
        }
        switch (level) {
          case 1 -> l1 = size;
          case 2 -> l2 = size;
          case 3 -> l3 = size;
          default -> { }
        }
      } catch (IOException | RuntimeException e) {
        // An unreadable entry leaves that level at its default.
      }
    }
    boolean any = l1 > 0 || l2 > 0 || l3 > 0;
    return new CacheSizes(l1 > 0 ? l1 : DEFAULTS.l1, l2 > 0 ? l2 : DEFAULTS.l2,
        l3 > 0 ? l3 : DEFAULTS.l3, any);
  }

  /** {@code 48K}, {@code 1024K}, {@code 32M} or plain bytes. */
  static long parseSize(String s) {
    String t = s.toUpperCase(Locale.ROOT);
    long unit = 1;
    if (t.endsWith("K")) {
      unit = 1 << 10;
    } else if (t.endsWith("M")) {
      unit = 1 << 20;
    } else if (t.endsWith("G")) {
      unit = 1 << 30;
    }
    if (unit > 1) {
      t = t.substring(0, t.length() - 1);
    }
    return Long.parseLong(t) * unit;
  }
}
