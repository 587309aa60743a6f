package dev.kiln.codegen.jit;

import com.google.common.collect.ImmutableList;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import javax.lang.model.SourceVersion;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;

/**
 * Compiles generated Java sources to class files in memory with the running JDK's javac: no
 * temporary files, no external process. Sources see the class path given at construction (by
 * default this process's), the Vector API ({@code jdk.incubator.vector}) and the JDK itself.
 *
 * <p>Thread-safe. One {@link JavaCompiler} serves every call; standard file managers, which keep
 * the class path's jar indexes warm but are not thread-safe, are pooled so that each call has one
 * to itself and concurrent calls never share one.
 */
public final class JavaSourceCompiler {
  private final JavaCompiler javac;
  private final ImmutableList<Path> classPath;
  private final ImmutableList<String> options;
  private final ConcurrentLinkedDeque<StandardJavaFileManager> idleFileManagers =
      new ConcurrentLinkedDeque<>();

  /**
   * @param classPath the directories and jars generated code compiles against
   * @throws CodegenException if this JVM has no javac (a JRE, or a jlink image without
   *     {@code jdk.compiler})
   */
  public JavaSourceCompiler(List<Path> classPath) {
    JavaCompiler found = ToolProvider.getSystemJavaCompiler();
    if (found == null) {
      throw new CodegenException("Kiln compiles models with the JDK's javac, and this Java runtime"
          + " has none (java.home=" + System.getProperty("java.home") + "): run Kiln on a JDK "
          + Runtime.version().feature() + ", or a runtime image that includes the jdk.compiler module");
    }
    this.javac = found;
    this.classPath = ImmutableList.copyOf(classPath);
    this.options = ImmutableList.of(
        // No --release: the system compiler is this JVM's own javac, so by default it compiles
        // against exactly the platform the classes will run on, which is what --release N would
        // select too, but --release reads the ct.sym archive and made warm compiles ~3x slower.
        "--add-modules", "jdk.incubator.vector",
        // Line numbers make a failing kernel's stack trace point into its generated source.
        "-g:source,lines",
        "-proc:none",
        "-implicit:none",
        "-Xlint:none",
        "-nowarn");
  }

  /** Compiles against this process's class path and module path (see {@link #processClassPath}). */
  public static JavaSourceCompiler forCurrentProcess() {
    return new JavaSourceCompiler(processClassPath());
  }

  /**
   * The entries of {@code java.class.path} and {@code jdk.module.path}, plus the jar or directory
   * that holds Kiln's own classes when those two do not name it (Kiln loaded by an application
   * server or a plugin loader).
   */
  public static ImmutableList<Path> processClassPath() {
    Set<Path> entries = new LinkedHashSet<>();
    for (String property : List.of("java.class.path", "jdk.module.path")) {
      String value = System.getProperty(property, "");
      for (String entry : value.split(File.pathSeparator)) {
        if (!entry.isBlank()) {
          entries.add(Path.of(entry).toAbsolutePath().normalize());
        }
      }
    }
    // One class from each Kiln module generated code may refer to: codegen, ir, runtime.
    List<Class<?>> anchors = List.of(JavaSourceCompiler.class, dev.kiln.ir.graph.Graph.class,
        dev.kiln.runtime.interpreter.RunException.class);
    for (Class<?> kilnClass : anchors) {
      codeSourceOf(kilnClass).ifPresent(entries::add);
    }
    return ImmutableList.copyOf(entries);
  }

  private static java.util.Optional<Path> codeSourceOf(Class<?> type) {
    CodeSource source = type.getProtectionDomain().getCodeSource();
    if (source == null || source.getLocation() == null
        || !source.getLocation().getProtocol().equals("file")) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(Path.of(source.getLocation().toURI()).toAbsolutePath().normalize());
    } catch (URISyntaxException | IllegalArgumentException e) {
      return java.util.Optional.empty();
    }
  }

  public ImmutableList<Path> classPath() {
    return classPath;
  }

  /**
   * Compiles {@code sources} together (they may refer to each other) into class files.
   *
   * @param sources fully qualified top-level class name to its compilation unit
   * @return every class javac produced, nested ones included
   * @throws CodegenException if javac rejects the sources, with each error's line, column and
   *     source excerpt
   * @throws IllegalArgumentException if there are no sources or a name is not a qualified Java name
   */
  public CompiledClasses compile(Map<String, String> sources) {
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("nothing to compile: no sources given");
    }
    List<InMemoryFileManager.SourceFile> units = new ArrayList<>();
    sources.forEach((className, source) -> {
      if (!SourceVersion.isName(className)) {
        throw new IllegalArgumentException(
            "'" + className + "' is not a qualified Java class name");
      }
      units.add(new InMemoryFileManager.SourceFile(className, source));
    });

    StandardJavaFileManager shared = borrowFileManager();
    boolean healthy = false;
    try {
      InMemoryFileManager fileManager = new InMemoryFileManager(shared);
      DiagnosticCollector<JavaFileObject> collector = new DiagnosticCollector<>();
      boolean ok;
      try {
        ok = javac.getTask(null, fileManager, collector, options, null, units).call();
      } catch (RuntimeException e) {
        // javac reports problems with the code as diagnostics; an exception is javac failing.
        throw new CodegenException("internal error: javac failed while compiling " + sources.keySet(), e);
      }
      // javac returned normally, so the manager is fine to reuse even if the code had errors.
      healthy = true;
      List<CompileDiagnostic> diagnostics = collector.getDiagnostics().stream()
          .map(JavaSourceCompiler::toDiagnostic).toList();
      if (!ok || diagnostics.stream().anyMatch(CompileDiagnostic::isError)) {
        if (diagnostics.stream().noneMatch(CompileDiagnostic::isError)) {
          throw new CodegenException("internal error: javac failed on " + sources.keySet()
              + " without reporting an error: " + diagnostics);
        }
        throw CodegenException.javacRejected(diagnostics, sources);
      }
      Map<String, byte[]> classFiles = fileManager.classFiles();
      for (String className : sources.keySet()) {
        if (!classFiles.containsKey(className)) {
          throw new CodegenException("internal error: the unit named " + className
              + " produced no class of that name (a package or class name that does not match"
              + " the unit's name?); javac produced " + classFiles.keySet());
        }
      }
      return CompiledClasses.of(classFiles);
    } finally {
      returnFileManager(shared, healthy);
    }
  }

  /**
   * Compiles a trivial class and drops it, so that javac's classes are loaded and its hot paths
   * warmed up before the first model needs it: the first compile in a JVM takes seconds, later
   * ones tens of milliseconds. Worth calling on a background thread while a model is being read.
   *
   * @return how long it took, in nanoseconds
   */
  public long warmUp() {
    long start = System.nanoTime();
    compile(Map.of("dev.kiln.codegen.jit.warmup.WarmUp", """
        package dev.kiln.codegen.jit.warmup;

        final class WarmUp {
          static float sum(float[] values) {
            float total = 0;
            for (float v : values) {
              total += v;
            }
            return total;
          }
        }
        """));
    return System.nanoTime() - start;
  }

  private StandardJavaFileManager borrowFileManager() {
    StandardJavaFileManager idle = idleFileManagers.pollFirst();
    if (idle != null) {
      return idle;
    }
    StandardJavaFileManager fresh =
        javac.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8);
    try {
      fresh.setLocationFromPaths(StandardLocation.CLASS_PATH, classPath);
      // Sources come only from the call; never pick up stray .java files on the class path.
      fresh.setLocationFromPaths(StandardLocation.SOURCE_PATH, List.of());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use the class path " + classPath, e);
    }
    return fresh;
  }

  /**
   * A manager whose call failed may hold half-built state, so it is closed rather than reused;
   * the pool only ever holds as many managers as there were concurrent calls.
   */
  private void returnFileManager(StandardJavaFileManager fileManager, boolean healthy) {
    if (healthy) {
      idleFileManagers.addFirst(fileManager);
      return;
    }
    try {
      fileManager.close();
    } catch (IOException ignored) {
      // Closing only releases jar handles; nothing to recover.
    }
  }

  private static CompileDiagnostic toDiagnostic(Diagnostic<? extends JavaFileObject> d) {
    String className = d.getSource() instanceof InMemoryFileManager.SourceFile unit
        ? unit.className() : "";
    String kind = switch (d.getKind()) {
      case ERROR -> "error";
      case WARNING, MANDATORY_WARNING -> "warning";
      case NOTE -> "note";
      case OTHER -> "other";
    };
    long line = d.getLineNumber() == Diagnostic.NOPOS ? 0 : d.getLineNumber();
    long column = d.getColumnNumber() == Diagnostic.NOPOS ? 0 : d.getColumnNumber();
    return new CompileDiagnostic(kind, className, line, column, d.getMessage(Locale.ROOT));
  }
}
