package dev.kiln.frontend.kiln;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.Diagnostic;
import dev.kiln.frontend.ModelLoadException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One malformed model per rule; each test pins the whole rendered report (place, message, source
 * line and caret), so a regression in wording or position fails here.
 */
class KilnErrorTest {
  static ModelLoadException failure(String text) {
    return assertThrows(ModelLoadException.class,
        () -> KilnText.parse(text, "bad.kiln", Path.of("."), TestOps.REGISTRY));
  }

  static void assertReport(String text, String expected) {
    assertEquals(expected.stripTrailing(), failure(text).getMessage());
  }

  // --- syntax ---

  @Test
  void missingClosingParenthesis() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TRelu(%x
        }
        """, """
        bad.kiln:3:1: error: expected ',' or ')', found '}'
        }
        ^
        """);
  }

  @Test
  void colonGluedToAValueName() {
    assertReport("""
        model m(%x:f32[2]) -> (%x) {
        }
        """, """
        bad.kiln:1:15: error: expected ':', found '[' ('%x:f32' reads as one value name because ':' \
        may be part of a name; put a space after the ':')
        model m(%x:f32[2]) -> (%x) {
                      ^
        """);
  }

  @Test
  void strayCharacter() {
    ModelLoadException e = failure("""
        model m(%x: f32[2]) -> (%y) {
          %y = TRelu(%x) # oops
        }
        """);
    assertEquals("""
        bad.kiln:2:18: error: unexpected character '#' (comments start with //)
          %y = TRelu(%x) # oops
                         ^""", e.diagnostics().get(0).render());
  }

  @Test
  void unterminatedStringStopsTheReport() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TEverything(%x) {s = "abc}
        }
        """, """
        bad.kiln:2:29: error: unterminated string: a string must end with '"' on the line where it starts
          %y = TEverything(%x) {s = "abc}
                                    ^
        """);
  }

  @Test
  void unterminatedQuotedValueName() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TRelu(%"x)
        }
        """, """
        bad.kiln:2:14: error: unterminated string: a string must end with '"' on the line where it starts
          %y = TRelu(%"x)
                     ^
        """);
  }

  @Test
  void percentWithoutAName() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TRelu(% x)
        }
        """, """
        bad.kiln:2:14: error: unexpected character '%' (a value name is % followed by a name, as in \
        %x or %"my name")
          %y = TRelu(% x)
                     ^
        """);
  }

  @Test
  void unreadableFiles(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("missing.kiln");
    assertEquals(missing + ": error: no such file",
        assertThrows(ModelLoadException.class, () -> KilnText.read(missing)).getMessage());
    Path binary = dir.resolve("binary.kiln");
    Files.write(binary, new byte[] {'m', (byte) 0xff, 'x'});
    assertEquals(binary + ": error: not valid UTF-8 text",
        assertThrows(ModelLoadException.class, () -> KilnText.read(binary)).getMessage());
  }

  @Test
  void typicalSlips() {
    String head = "model m(%x: f32[2], %w: f32[2]) -> (%y) {\n";
    assertEquals("bad.kiln:2:16: error: expected ',' or ')', found '%w'",
        firstLine(head + "  %y = TAdd(%x %w)\n}\n"));
    assertEquals("bad.kiln:2:25: error: expected '=', found '1'",
        firstLine(head + "  %y = TSplit(%x) {axis 1}\n}\n"));
    assertEquals("bad.kiln:2:12: error: expected ':', found 'f32'",
        firstLine(head + "  const %c f32[2] = [1, 2]\n}\n"));
    assertEquals("bad.kiln:2:14: error: expected ')', '_' or a value name such as %x, found 'x'",
        firstLine(head + "  %y = TRelu(x)\n}\n"));
    assertEquals("bad.kiln:2:17: error: unexpected character ';' (statements end at the end of"
        + " their line; no ';' is needed)", firstLine(head + "  %y = TRelu(%x);\n}\n"));
    assertEquals("bad.kiln:1:21: error: expected '->', found '('",
        firstLine("model m(%x: f32[2]) (%x) {\n}\n"));
    assertEquals("bad.kiln:3:1: error: a file holds one model; this second 'model' is not expected",
        firstLine("model m(%x: f32[2]) -> (%x) {\n}\nmodel n(%x: f32[2]) -> (%x) {\n}\n"));
    assertEquals("bad.kiln:1:1: error: expected 'kiln' or 'model', found end of file",
        firstLine(""));
  }

  private static String firstLine(String text) {
    return failure(text).getMessage().lines().findFirst().orElseThrow();
  }

  @Test
  void unterminatedComment() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          /* never closed
          %y = TRelu(%x)
        }
        """, """
        bad.kiln:2:3: error: unterminated comment: '/*' without a closing '*/'
          /* never closed
          ^
        """);
  }

  @Test
  void missingAttributeValue() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TScale(%x) {alpha = }
        }
        """, """
        bad.kiln:2:28: error: expected an attribute value (a number, a string, a list or a tensor), found '}'
          %y = TScale(%x) {alpha = }
                                   ^
        """);
  }

  @Test
  void endOfFileInsideTheModel() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TRelu(%x)
        """, """
        bad.kiln:3:1: error: expected a statement (const, weights, or a node such as %y = Relu(%x)) \
        or '}', found end of file
        """);
  }

  @Test
  void badEscapeInAQuotedName() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TRelu(%"bad \\q escape")
        }
        """, """
        bad.kiln:2:20: error: unknown escape \\q (known: \\" \\\\ \\n \\t \\r \\uXXXX)
          %y = TRelu(%"bad \\q escape")
                           ^
        """);
  }

  @Test
  void unsupportedVersion() {
    assertReport("""
        kiln 2
        model m(%x: f32[2]) -> (%x) {
        }
        """, """
        bad.kiln:1:6: error: unsupported Kiln format version 2 (this reader knows version 1)
        kiln 2
             ^
        """);
  }

  // --- operators and attributes ---

  @Test
  void unknownOperatorSuggestsTheClosest() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TRelo(%x)
        }
        """, """
        bad.kiln:2:8: error: unknown operator 'TRelo' (did you mean 'TRelu'?)
          %y = TRelo(%x)
               ^
        """);
  }

  @Test
  void wrongInputArity() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TRelu(%x, %x)
        }
        """, """
        bad.kiln:2:8: error: TRelu takes 1 input, got 2
          %y = TRelu(%x, %x)
               ^
        """);
  }

  @Test
  void wrongOutputArity() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y, %z = TRelu(%x)
        }
        """, """
        bad.kiln:2:3: error: TRelu defines 1 output, got 2
          %y, %z = TRelu(%x)
          ^
        """);
  }

  @Test
  void requiredInputLeftAbsent() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TClip(_, %x)
        }
        """, """
        bad.kiln:2:14: error: input 0 of TClip is required but absent
          %y = TClip(_, %x)
                     ^
        """);
  }

  @Test
  void unknownAttribute() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TScale(%x) {alpah = 1.0}
        }
        """, """
        bad.kiln:2:20: error: unknown attribute 'alpah' for TScale (did you mean 'alpha'?); it takes alpha, pads
          %y = TScale(%x) {alpah = 1.0}
                           ^
        """);
  }

  @Test
  void attributeOfTheWrongKind() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TScale(%x) {alpha = "big"}
        }
        """, """
        bad.kiln:2:28: error: attribute 'alpha' of TScale must be a float, got a string
          %y = TScale(%x) {alpha = "big"}
                                   ^
        """);
  }

  @Test
  void missingRequiredAttribute() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TSplit(%x)
        }
        """, """
        bad.kiln:2:8: error: TSplit needs attribute 'axis' (int)
          %y = TSplit(%x)
               ^
        """);
  }

  @Test
  void duplicateAttribute() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TScale(%x) {alpha = 1.0,
                           alpha = 2.0}
        }
        """, """
        bad.kiln:3:20: error: attribute 'alpha' is given twice (first at line 2)
                           alpha = 2.0}
                           ^
        """);
  }

  @Test
  void attributeLiteralsOutOfRangeOrMixed() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TEverything(%x) {i = 99999999999999999999, f = 1e39, ints = [1, "a"], s = [],
                                strings = foo[], value = f32[3] [1.0]}
        }
        """, """
        bad.kiln:2:29: error: 99999999999999999999 is out of range for an int attribute (64-bit)
          %y = TEverything(%x) {i = 99999999999999999999, f = 1e39, ints = [1, "a"], s = [],
                                    ^
        bad.kiln:2:55: error: 1e39 is out of range for f32
          %y = TEverything(%x) {i = 99999999999999999999, f = 1e39, ints = [1, "a"], s = [],
                                                              ^
        bad.kiln:2:68: error: a list attribute holds only numbers or only strings, got [1, "a"]
          %y = TEverything(%x) {i = 99999999999999999999, f = 1e39, ints = [1, "a"], s = [],
                                                                           ^
        bad.kiln:2:82: error: an empty list needs its kind here: write ints[], floats[] or strings[]
          %y = TEverything(%x) {i = 99999999999999999999, f = 1e39, ints = [1, "a"], s = [],
                                                                                         ^
        bad.kiln:3:35: error: 'foo[]' is not an attribute value: empty lists are written ints[], \
        floats[] or strings[], and a tensor needs its elements, as in f32[] 1.0
                                strings = foo[], value = f32[3] [1.0]}
                                          ^
        bad.kiln:3:57: error: attribute 'value' has type f32[3] (3 elements) but 1 value is given
                                strings = foo[], value = f32[3] [1.0]}
                                                                ^
        6 errors
        """);
  }

  @Test
  void inferenceFailureNamesTheOperator() {
    assertReport("""
        model m(%x: i64[2]) -> (%y) {
          %y = TScale(%x)
        }
        """, """
        bad.kiln:2:8: error: TScale: input 0 must be a floating-point tensor, got i64[2]
          %y = TScale(%x)
               ^
        """);
  }

  // --- values and types ---

  @Test
  void undefinedValue() {
    assertReport("""
        model m(%input: f32[2]) -> (%y) {
          %y = TRelu(%inptu)
        }
        """, """
        bad.kiln:2:14: error: %inptu is not defined (did you mean %input?)
          %y = TRelu(%inptu)
                     ^
        """);
  }

  @Test
  void valueUsedBeforeItsDefinition() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TRelu(%later)
          %later = TRelu(%x)
        }
        """, """
        bad.kiln:2:14: error: %later is used before its definition at line 3
          %y = TRelu(%later)
                     ^
        """);
  }

  @Test
  void valueDefinedTwice() {
    assertReport("""
        model m(%x: f32[2]) -> (%y) {
          %y = TRelu(%x)
          const %y: f32[] = 1
        }
        """, """
        bad.kiln:3:9: error: %y is already defined at line 2
          const %y: f32[] = 1
                ^
        """);
  }

  @Test
  void unknownDtype() {
    assertReport("""
        model m(%x: f33[2]) -> (%x) {
        }
        """, """
        bad.kiln:1:13: error: unknown element type 'f33' (did you mean 'f32'?); the types are f32, \
        f64, f16, bf16, i8, u8, i16, u16, i32, u32, i64, u64, bool
        model m(%x: f33[2]) -> (%x) {
                    ^
        """);
  }

  @Test
  void declaredResultTypeDisagreesWithInference() {
    assertReport("""
        model m(%x: f32[N, 2]) -> (%y) {
          %y: f32[N, 3] = TRelu(%x)
        }
        """, """
        bad.kiln:2:7: error: %y is declared f32[N, 3] but TRelu gives f32[N, 2]
          %y: f32[N, 3] = TRelu(%x)
              ^
        """);
  }

  @Test
  void outputNeverDefined() {
    assertReport("""
        model m(%x: f32[2]) -> (%out) {
          %y = TRelu(%x)
        }
        """, """
        bad.kiln:1:25: error: output %out is never defined
        model m(%x: f32[2]) -> (%out) {
                                ^
        """);
  }

  @Test
  void outputDeclaredWithAnotherType() {
    assertReport("""
        model m(%x: f32[2]) -> (%y: i64[2]) {
          %y = TRelu(%x)
        }
        """, """
        bad.kiln:1:29: error: output %y is declared i64[2] but its definition (line 2) has type f32[2]
        model m(%x: f32[2]) -> (%y: i64[2]) {
                                    ^
        """);
  }

  @Test
  void modelWithoutOutputs() {
    assertReport("""
        model m(%x: f32[2]) -> () {
        }
        """, """
        bad.kiln:1:1: error: a model needs at least one output
        model m(%x: f32[2]) -> () {
        ^
        """);
  }

  // --- inline constants ---

  @Test
  void inlineConstantWithTheWrongNumberOfElements() {
    assertReport("""
        model m() -> (%c) {
          const %c: i64[3] = [1, 2]
        }
        """, """
        bad.kiln:2:22: error: constant %c has type i64[3] (3 elements) but 2 values are given
          const %c: i64[3] = [1, 2]
                             ^
        """);
  }

  @Test
  void inlineConstantElementsOfTheWrongKindOrRange() {
    assertReport("""
        model m() -> (%a) {
          const %a: u8[2] = [1, 256]
          const %b: i8[1] = [-129]
          const %c: i32[2] = [1.5, 2]
          const %d: bool[1] = [1]
          const %e: f16[1] = [70000]
          const %f: f32[] = true
        }
        """, """
        bad.kiln:2:25: error: 256 is out of range for u8 (0 to 255)
          const %a: u8[2] = [1, 256]
                                ^
        bad.kiln:3:22: error: -129 is out of range for i8 (-128 to 127)
          const %b: i8[1] = [-129]
                             ^
        bad.kiln:4:23: error: i32 elements must be integers, got 1.5
          const %c: i32[2] = [1.5, 2]
                              ^
        bad.kiln:5:24: error: bool elements must be true or false, got 1
          const %d: bool[1] = [1]
                               ^
        bad.kiln:6:23: error: 70000 is out of range for f16
          const %e: f16[1] = [70000]
                              ^
        bad.kiln:7:21: error: f32 elements must be numbers, got true
          const %f: f32[] = true
                            ^
        6 errors
        """);
  }

  @Test
  void inlineConstantWithASymbolicShape() {
    assertReport("""
        model m() -> (%c) {
          const %c: f32[N] = [1.5, 2]
        }
        """, """
        bad.kiln:2:13: error: constant %c must have a static shape, got f32[N]
          const %c: f32[N] = [1.5, 2]
                    ^
        """);
  }

  @Test
  void weightsUsedWithoutADirective() {
    assertReport("""
        model m() -> (%c) {
          const %c: f32[2] = weights["w"]
        }
        """, """
        bad.kiln:2:22: error: weights[...] needs a weights file: add a directive such as weights \
        "model.safetensors" to the model
          const %c: f32[2] = weights["w"]
                             ^
        """);
  }

  // --- with the standard operators ---

  @Test
  void unknownStandardOperatorSuggestsTheClosest() {
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> KilnText.parse("""
        model m(%x: f32[2]) -> (%y) {
          %y = Reluu(%x)
        }
        """, "bad.kiln", Path.of(".")));
    assertEquals("bad.kiln:2:8: error: unknown operator 'Reluu' (did you mean 'Relu'?)",
        e.diagnostics().get(0).render().lines().findFirst().orElseThrow());
  }

  @Test
  void standardOperatorInferenceErrorsArePlacedAtTheOperator() {
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> KilnText.parse("""
        model m(%x: f32[N, 3], %w: f32[4, 5]) -> (%y) {
          %y = Gemm(%x, %w) {transB = 1}
        }
        """, "bad.kiln", Path.of(".")));
    Diagnostic d = e.diagnostics().get(0);
    assertEquals(1, e.diagnostics().size());
    assertEquals(2, d.line());
    assertEquals(8, d.column());
    assertTrue(d.message().startsWith("Gemm: "), d.message());
  }

  // --- reporting everything, without cascades ---

  @Test
  void reportsEveryErrorOnceAndPoisonsFailedValues() {
    ModelLoadException e = failure("""
        model m(%x: f32[2]) -> (%y) {
          %a = TRelu(%q)
          %b = TRelu(%a)
          %c = Zzyzx(%b)
          %d = TRelu(%c)
          %e: f32[2] = Zzyzx(%x)
          %f = TAdd(%e, %x)
          %y = TAdd(%f, %missing)
        }
        """);
    List<String> messages = e.diagnostics().stream()
        .map(d -> d.line() + ":" + d.column() + " " + d.message()).toList();
    assertEquals(List.of(
        "2:14 %q is not defined",
        "4:8 unknown operator 'Zzyzx'",
        "6:16 unknown operator 'Zzyzx'",
        "8:17 %missing is not defined"), messages);
    assertEquals("4 errors", e.getMessage().lines().toList().getLast());
  }

  @Test
  void diagnosticsCarryTheSourceName() {
    Diagnostic d = failure("model m() -> (%c) {}").diagnostics().get(0);
    assertEquals("bad.kiln", d.source());
    assertEquals("output %c is never defined", d.message());
  }

  @Test
  void caretCountsCharactersAfterAnAstralCodePoint() {
    assertReport("""
        model m(%"\uD83D\uDE00": f32[2]) -> (%y) {
          %y = TRelu(%"\uD83D\uDE00", %"\uD83D\uDE00")
        }
        """, """
        bad.kiln:2:8: error: TRelu takes 1 input, got 2
          %y = TRelu(%"\uD83D\uDE00", %"\uD83D\uDE00")
               ^
        """);
    // Columns count UTF-16 chars, like the caret: the emoji takes two.
    assertReport("""
        model m(%"\uD83D\uDE00": f32[2]) -> (%"\uD83D\uDE00") {
          %"\uD83D\uDE00" = TRelu(%x)
        }
        """, """
        bad.kiln:2:3: error: %"\uD83D\uDE00" is already defined at line 1
          %"\uD83D\uDE00" = TRelu(%x)
          ^
        bad.kiln:2:17: error: %x is not defined
          %"\uD83D\uDE00" = TRelu(%x)
                        ^
        2 errors
        """);
  }
}
