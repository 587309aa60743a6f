package dev.kiln.codegen.emit;

import dev.kiln.runtime.compiled.CompiledProgram;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/** A tiny in-memory javac for tests: compiles one emitted program and instantiates it. */
final class TestJavac {
  private TestJavac() {}

  static CompiledProgram instantiate(EmittedProgram emitted) {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    Map<String, ByteArrayOutputStream> classes = new HashMap<>();
    StandardJavaFileManager std = javac.getStandardFileManager(diagnostics, null, null);
    var files = new ForwardingJavaFileManager<StandardJavaFileManager>(std) {
      @Override
      public JavaFileObject getJavaFileForOutput(Location location, String className,
          JavaFileObject.Kind kind, FileObject sibling) {
        return new SimpleJavaFileObject(URI.create("mem:///" + className.replace('.', '/') + ".class"), kind) {
          @Override
          public OutputStream openOutputStream() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            classes.put(className, out);
            return out;
          }
        };
      }
    };
    String path = emitted.className().replace('.', '/') + ".java";
    JavaFileObject unit = new SimpleJavaFileObject(URI.create("mem:///" + path), JavaFileObject.Kind.SOURCE) {
      @Override
      public CharSequence getCharContent(boolean ignoreEncodingErrors) {
        return emitted.source();
      }
    };
    List<String> options = new ArrayList<>(List.of("--add-modules", "jdk.incubator.vector",
        "-classpath", System.getProperty("java.class.path"), "-proc:none", "-Xlint:none", "-nowarn"));
    boolean ok = javac.getTask(null, files, diagnostics, options, null, List.of(unit)).call();
    if (!ok) {
      StringBuilder sb = new StringBuilder("javac rejected the generated source:\n");
      for (Diagnostic<?> d : diagnostics.getDiagnostics()) {
        sb.append(d.getLineNumber()).append(':').append(d.getColumnNumber()).append(' ')
            .append(d.getMessage(null)).append('\n');
      }
      String[] lines = emitted.source().split("\n");
      for (int i = 0; i < lines.length; i++) {
        sb.append(String.format("%4d  %s%n", i + 1, lines[i]));
      }
      throw new AssertionError(sb.toString());
    }
    ClassLoader loader = new ClassLoader(TestJavac.class.getClassLoader()) {
      @Override
      protected Class<?> findClass(String name) throws ClassNotFoundException {
        ByteArrayOutputStream bytes = classes.get(name);
        if (bytes == null) {
          throw new ClassNotFoundException(name);
        }
        byte[] b = bytes.toByteArray();
        return defineClass(name, b, 0, b.length);
      }
    };
    try {
      return (CompiledProgram) loader.loadClass(emitted.className()).getConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }
}
