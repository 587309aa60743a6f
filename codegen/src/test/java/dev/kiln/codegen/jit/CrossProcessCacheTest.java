package dev.kiln.codegen.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Separate JVMs share one cache directory: concurrent writers, then readers. */
@Tag("compile")
class CrossProcessCacheTest {
  @TempDir Path dir;

  /** Starts {@code CacheUserMain args} in a fresh JVM with this test's class path. */
  static Process start(Path logDir, String name, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector",
        "-cp", System.getProperty("java.class.path"),
        CacheUserMain.class.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(logDir.resolve(name + ".log").toFile())
        .start();
  }

  /** Waits for {@code process} and returns its output; fails with the output if it failed. */
  static String finish(Process process, Path logDir, String name) throws Exception {
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), name + " did not finish in 60 s");
    String output = Files.readString(logDir.resolve(name + ".log"), StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), () -> name + " failed:\n" + output);
    return output;
  }

  @Test
  void twoProcessesWritingOneKeyLeaveAValidEntryThatAThirdReads() throws Exception {
    Path cache = dir.resolve("cache");
    Files.createDirectories(dir.resolve("logs"));
    Path logs = dir.resolve("logs");
    Process a = start(logs, "a", "compile", cache.toString(), "42");
    Process b = start(logs, "b", "compile", cache.toString(), "42");
    String outA = finish(a, logs, "a");
    String outB = finish(b, logs, "b");
    Pattern ok = Pattern.compile("(?s).*origin=(COMPILED|DISK_CACHE) answer=42\\R.*");
    assertTrue(ok.matcher(outA).matches(), outA);
    assertTrue(ok.matcher(outB).matches(), outB);

    try (Stream<Path> files = Files.list(cache)) {
      List<Path> entries = files.toList();
      assertEquals(1, entries.size(), "one entry and no temp files: " + entries);
      CacheKey key = CacheKey.builder().part("ir", "42").build();
      assertEquals(cache.resolve(key.hash() + ".kernel"), entries.get(0));
      CacheEntryFormat.Entry entry = CacheEntryFormat.decode(Files.readAllBytes(entries.get(0)));
      assertEquals(key.text(), entry.keyText());
    }

    String outC = finish(start(logs, "c", "compile", cache.toString(), "42"), logs, "c");
    assertTrue(outC.contains("origin=DISK_CACHE answer=42"), outC);
  }

  /** Prints cold and warm compile times of a fresh JVM (see the test's output file). */
  @Test
  void reportsColdAndWarmCompileTimes() throws Exception {
    Files.createDirectories(dir.resolve("logs"));
    String out = finish(start(dir.resolve("logs"), "timing", "timing", dir.resolve("cache").toString()),
        dir.resolve("logs"), "timing");
    assertTrue(Pattern.compile("(?s).*cold=[0-9.]+ warm=[0-9.]+ memoryHit=[0-9.]+ diskHit=[0-9.]+\\R.*")
        .matcher(out).matches(), out);
    System.out.println("fresh JVM, small class: " + out.strip());
  }
}
