package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Builds plugin jars in tests, as examples/plugin/build.sh does: javac against the test class path, then jar. */
final class PluginJars {
  private PluginJars() {}

  /** Compiles every .java file under {@code sources} and jars the classes with {@code resources}. */
  static Path build(Path sources, Path resources, Path work, String jarName) throws IOException {
    Path classes = Files.createTempDirectory(work, "classes");
    List<Path> files;
    try (Stream<Path> s = Files.walk(sources)) {
      files = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter log = new StringWriter();
    boolean ok = javac.getTask(log, null, null,
        List.of("-d", classes.toString(), "-cp", System.getProperty("java.class.path"), "-Xlint:all", "-Werror"),
        null, javac.getStandardFileManager(null, null, null).getJavaFileObjectsFromPaths(files)).call();
    assertTrue(ok, "the plugin in " + sources + " does not compile:\n" + log);
    Path jar = work.resolve(jarName);
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      for (Path root : List.of(classes, resources)) {
        try (Stream<Path> s = Files.walk(root)) {
          for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
            out.putNextEntry(new JarEntry(root.relativize(p).toString().replace('\\', '/')));
            Files.copy(p, (OutputStream) out);
            out.closeEntry();
          }
        }
      }
    }
    return jar;
  }
}
