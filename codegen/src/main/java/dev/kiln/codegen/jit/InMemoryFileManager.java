package dev.kiln.codegen.jit;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.Map;
import java.util.TreeMap;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;

/**
 * The file manager of one compile call: reads the class path through a shared standard file
 * manager (whose jar indexes stay warm between calls) and captures every class file javac writes
 * in memory instead of on disk. One instance per call; not thread-safe, and never closed (closing
 * would close the shared manager underneath).
 */
final class InMemoryFileManager extends ForwardingJavaFileManager<StandardJavaFileManager> {
  private final Map<String, ByteArrayOutputStream> outputs = new TreeMap<>();

  InMemoryFileManager(StandardJavaFileManager shared) {
    super(shared);
  }

  @Override
  public JavaFileObject getJavaFileForOutput(
      Location location, String className, JavaFileObject.Kind kind, FileObject sibling) {
    if (location != StandardLocation.CLASS_OUTPUT || kind != JavaFileObject.Kind.CLASS) {
      // With -proc:none and no -h/-s nothing else is ever written; refusing loudly beats a stray
      // file on disk.
      throw new UnsupportedOperationException(
          "generated code may only produce class files, javac asked for " + kind + " at " + location);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    outputs.put(className, bytes);
    return new SimpleJavaFileObject(classUri(className), JavaFileObject.Kind.CLASS) {
      @Override
      public OutputStream openOutputStream() {
        return bytes;
      }
    };
  }

  /** Class files written so far, by binary name. */
  Map<String, byte[]> classFiles() {
    Map<String, byte[]> files = new TreeMap<>();
    outputs.forEach((name, bytes) -> files.put(name, bytes.toByteArray()));
    return files;
  }

  private static URI classUri(String className) {
    return URI.create("mem:///" + className.replace('.', '/') + ".class");
  }

  /** A compilation unit held in a string, named by its top-level class. */
  static final class SourceFile extends SimpleJavaFileObject {
    private final String className;
    private final String source;

    SourceFile(String className, String source) {
      // javac requires a public class Foo to live in a file named Foo.java; the URI provides that.
      super(URI.create("mem:///" + className.replace('.', '/') + ".java"), Kind.SOURCE);
      this.className = className;
      this.source = source;
    }

    String className() {
      return className;
    }

    @Override
    public CharSequence getCharContent(boolean ignoreEncodingErrors) {
      return source;
    }
  }
}
