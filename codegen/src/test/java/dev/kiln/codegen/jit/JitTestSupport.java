package dev.kiln.codegen.jit;

import java.lang.reflect.Method;
import java.util.Map;

/** Shared by the tests: one warm compiler (javac is slow to start) and small source helpers. */
final class JitTestSupport {
  static final JavaSourceCompiler JAVAC = JavaSourceCompiler.forCurrentProcess();

  private JitTestSupport() {}

  /** {@code pkg.Name} with {@code static int answer() { return value; }}. */
  static Map<String, String> answerClass(String className, int value) {
    int dot = className.lastIndexOf('.');
    return Map.of(className, """
        package %s;

        public final class %s {
          public static int answer() {
            return %d;
          }
        }
        """.formatted(className.substring(0, dot), className.substring(dot + 1), value));
  }

  static Object callStatic(Class<?> type, String method, Object... args) throws Exception {
    for (Method m : type.getMethods()) {
      if (m.getName().equals(method) && m.getParameterCount() == args.length) {
        return m.invoke(null, args);
      }
    }
    throw new AssertionError(type + " has no public method " + method + " of " + args.length + " parameters");
  }
}
