package dev.kiln.codegen.jit;

import static dev.kiln.codegen.jit.JitTestSupport.JAVAC;
import static dev.kiln.codegen.jit.JitTestSupport.callStatic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("compile")
class JavaSourceCompilerTest {
  private static Class<?> load(CompiledClasses classes, String name) throws ClassNotFoundException {
    return Class.forName(name, true,
        new ModelClassLoader("test", classes, JavaSourceCompilerTest.class.getClassLoader()));
  }

  @Test
  void compilesInMemoryAndTheClassRuns() throws Exception {
    CompiledClasses classes = JAVAC.compile(JitTestSupport.answerClass("gen.a.Answer", 42));
    assertEquals(List.of("gen.a.Answer"), List.copyOf(classes.names()));
    assertEquals(42, callStatic(load(classes, "gen.a.Answer"), "answer"));
  }

  @Test
  void batchesUnitsThatReferToEachOtherAndKeepsNestedClasses() throws Exception {
    Map<String, String> sources = new LinkedHashMap<>();
    sources.put("gen.b.Caller", """
        package gen.b;
        public final class Caller {
          public static int call() { return Helper.twice(new Helper.Box(21).value()); }
        }
        """);
    sources.put("gen.b.Helper", """
        package gen.b;
        final class Helper {
          record Box(int value) {}
          static int twice(int x) { return 2 * x; }
        }
        """);
    CompiledClasses classes = JAVAC.compile(sources);
    assertEquals(List.of("gen.b.Caller", "gen.b.Helper", "gen.b.Helper$Box"), List.copyOf(classes.names()));
    assertEquals(42, callStatic(load(classes, "gen.b.Caller"), "call"));
  }

  @Test
  void generatedCodeSeesKilnClassesOnTheClassPath() throws Exception {
    CompiledClasses classes = JAVAC.compile(Map.of("gen.c.UsesIr", """
        package gen.c;
        import dev.kiln.ir.tensor.Tensor;
        import dev.kiln.ir.type.DType;
        public final class UsesIr {
          public static double sum(Tensor t) {
            double s = 0;
            for (long i = 0; i < t.size(); i++) s += t.getDouble(i);
            return s;
          }
          public static Tensor make() { return Tensor.ofFloats(new long[] {2}, 1.5f, 2.5f); }
        }
        """));
    Class<?> type = load(classes, "gen.c.UsesIr");
    assertEquals(4.0, callStatic(type, "sum", callStatic(type, "make")));
  }

  @Test
  void javacErrorIsACodegenExceptionWithPositionsAndNumberedSource() {
    String broken = """
        package gen.d;

        public final class Broken {
          public static int f(int x) {
            int y = x * 2
            return undefinedName + y;
          }
        }
        """;
    CodegenException e = assertThrows(CodegenException.class,
        () -> JAVAC.compile(Map.of("gen.d.Broken", broken)));
    assertEquals(1, e.diagnostics().size(), e.getMessage());
    CompileDiagnostic d = e.diagnostics().get(0);
    assertEquals("gen.d.Broken", d.className());
    assertEquals(5, d.line());
    assertEquals(18, d.column());
    assertEquals("""
        internal error: javac rejected Kiln's generated code (1 error); this is a bug in Kiln's \
        code generator, please report it with this message
        gen/d/Broken.java:5:18: error: ';' expected
            3 | public final class Broken {
            4 |   public static int f(int x) {
          > 5 |     int y = x * 2
              |                  ^
            6 |     return undefinedName + y;
            7 |   }""", e.getMessage());
  }

  @Test
  void everyErrorOfEveryUnitIsReported() {
    Map<String, String> sources = new LinkedHashMap<>();
    sources.put("gen.e.One", "package gen.e;\npublic class One { int a = missingA; }\n");
    sources.put("gen.e.Two", "package gen.e;\npublic class Two {\n  String b = 1;\n}\n");
    CodegenException e = assertThrows(CodegenException.class, () -> JAVAC.compile(sources));
    assertEquals(2, e.diagnostics().size(), e.getMessage());
    assertTrue(e.getMessage().contains("(2 errors)"), e.getMessage());
    assertTrue(e.getMessage().contains("gen/e/One.java:2:28: error: cannot find symbol"), e.getMessage());
    assertTrue(e.getMessage().contains("gen/e/Two.java:3:14: error: incompatible types"), e.getMessage());
    assertTrue(e.getMessage().contains("  > 3 |   String b = 1;"), e.getMessage());
  }

  @Test
  void aUnitWhoseClassDoesNotMatchItsNameIsAnInternalError() {
    CodegenException e = assertThrows(CodegenException.class, () -> JAVAC.compile(
        Map.of("gen.f.Expected", "package gen.f;\nclass Other {}\n")));
    assertEquals("internal error: the unit named gen.f.Expected produced no class of that name"
        + " (a package or class name that does not match the unit's name?); javac produced"
        + " [gen.f.Other]", e.getMessage());
  }

  @Test
  void rejectsNoSourcesAndBadNames() {
    assertEquals("nothing to compile: no sources given",
        assertThrows(IllegalArgumentException.class, () -> JAVAC.compile(Map.of())).getMessage());
    assertEquals("'gen.1bad' is not a qualified Java class name",
        assertThrows(IllegalArgumentException.class,
            () -> JAVAC.compile(Map.of("gen.1bad", "class X {}"))).getMessage());
  }

  @Test
  void warmUpRunsJavacAndLeavesTheCompilerUsable() throws Exception {
    assertTrue(JAVAC.warmUp() > 0);
    assertEquals(9, callStatic(load(JAVAC.compile(JitTestSupport.answerClass("gen.w.After", 9)),
        "gen.w.After"), "answer"));
  }

  @Test
  void threadsCompileConcurrently() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Object>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        int value = i;
        results.add(pool.submit(() -> callStatic(
            load(JAVAC.compile(JitTestSupport.answerClass("gen.g.Answer" + value, value)),
                "gen.g.Answer" + value), "answer")));
      }
      for (int i = 0; i < 8; i++) {
        assertEquals(i, results.get(i).get());
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
