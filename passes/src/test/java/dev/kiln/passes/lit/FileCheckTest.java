package dev.kiln.passes.lit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.passes.pipeline.PassRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checker and the lit runner's failure messages. */
class FileCheckTest {
  static final String OUT = """
      model a
        %x = Neg(%in)
        %y = Relu(%x)
      model b
        %z = Exp(%in)
      """;

  static void check(String checks) {
    FileCheck.check(OUT, FileCheck.parse(checks, "t.kiln", 1));
  }

  static String failure(String checks) {
    return assertThrows(FileCheck.CheckFailure.class, () -> check(checks)).getMessage();
  }

  @Test
  void passingChecks() {
    check("""
        // CHECK-LABEL: model a
        // CHECK: %[[X:[a-z]+]] = Neg
        // CHECK-SAME: (%in)
        // CHECK-NEXT: = Relu(%[[X]])
        // CHECK-NOT: Exp
        // CHECK-LABEL: model b
        // CHECK: {{E.p}}
        """);
    check("// CHECK: %y   =   Relu");
  }

  @Test
  void checkNotFails() {
    String m = failure("// CHECK-LABEL: model a\n// CHECK-NOT: Relu\n// CHECK-LABEL: model b\n");
    assertTrue(m.startsWith("t.kiln:2: CHECK-NOT: Relu\n  found what must not be there, on line 3 of the output"), m);
    assertTrue(m.contains(">   3    %y = Relu(%x)"), m);
  }

  @Test
  void labelsBoundTheSearch() {
    String m = failure("// CHECK-LABEL: model a\n// CHECK: Exp\n// CHECK-LABEL: model b\n");
    assertTrue(m.startsWith("t.kiln:2: CHECK: Exp\n  no match;"), m);
  }

  @Test
  void nextAndSameFail() {
    assertTrue(failure("// CHECK: Neg\n// CHECK-NEXT: Exp").startsWith(
        "t.kiln:2: CHECK-NEXT: Exp\n  no match on the line after the previous match (line 2 of the output)"));
    assertTrue(failure("// CHECK: Neg\n// CHECK-SAME: Relu").startsWith(
        "t.kiln:2: CHECK-SAME: Relu\n  no match on the same line as the previous match (line 2 of the output)"));
  }

  @Test
  void capturesMustBeDefinedAndRegexesValid() {
    assertEquals("t.kiln:1: CHECK: %[[NOPE]]\n  uses [[NOPE]], which no earlier check captured",
        failure("// CHECK: %[[NOPE]]"));
    assertTrue(failure("// CHECK: {{(}}").startsWith("t.kiln:1: CHECK: {{(}}\n  bad regular expression"));
    assertTrue(failure("// CHECK: %[[X:[a-z]+]] = Neg\n// CHECK: Exp(%[[X]])").startsWith("t.kiln:2: CHECK: Exp(%[[X]])"));
  }

  @Test
  void litFailuresNameTheFileLineAndShowTheIr(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("t.kiln");
    Files.writeString(f, """
        // RUN: --passes=dce
        model m(%x: f32[2]) -> (%y: f32[2]) {
          %y = Relu(%x)
        }
        // CHECK: Sigmoid
        // -----
        model n(%x: f32[2]) -> (%y: f32[2]) {
          %y = Relu(%x)  // expected-error {{something else}}
        }
        """);
    List<LitCase> cases = LitCase.read(f);
    assertEquals(2, cases.size());
    AssertionError e = assertThrows(AssertionError.class, () -> LitTest.run(cases.get(0), PassRegistry.standard()));
    assertTrue(e.getMessage().startsWith("case t.kiln:1 (--passes=dce): t.kiln:5: CHECK: Sigmoid\n  no match;"), e.getMessage());
    assertTrue(e.getMessage().contains("%y: f32[2] = Relu(%x)"), e.getMessage());
    e = assertThrows(AssertionError.class, () -> LitTest.run(cases.get(1), PassRegistry.standard()));
    assertTrue(e.getMessage().startsWith("t.kiln:8: expected error {{something else}} at line 8 was not reported; "
        + "reported: none"), e.getMessage());
  }

  @Test
  void aLitFileNeedsARunLine(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("bad.kiln");
    Files.writeString(f, "model m() -> () {}\n");
    assertEquals("bad.kiln: no '// RUN: --passes=...' line",
        assertThrows(IllegalArgumentException.class, () -> LitCase.read(f)).getMessage());
    Files.writeString(f, "// RUN: --pases=dce\n");
    assertEquals("bad.kiln: unknown RUN argument '--pases=dce' (known: --passes=PIPELINE, --dim=NAME=SIZE, --no-diff)",
        assertThrows(IllegalArgumentException.class, () -> LitCase.read(f)).getMessage());
  }
}
