package dev.kiln.frontend.kiln;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.Diagnostic;
import dev.kiln.frontend.ModelLoadException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Whatever the text, reading it either gives a model or a {@link ModelLoadException} whose
 * every diagnostic has a place: never another exception. Texts are seeded random edits of a
 * valid model, which reach the corners of both the parser's recovery and the checks.
 */
class MangledTextTest {
  private static final String MODEL = """
      kiln 1
      model "m"(%x: f32[N, 4], %s: f32[]) -> (%y: f32[N, 4], %parts) {
        const %b: f32[4] = [1, 2.5, -3, 1e-3]
        const %shape: i64[2] = [2, 4]
        /* comment */ %h = TRelu(%x)   // comment
        "add": %a: f32[N, 4] = TAdd(%h, %b)
        %c = TClip(%a, _, %s)
        %y = TScale(%c) {alpha = 2, pads = []}
        %r = TReshape(%y, %shape)
        %parts, %more = TSplit(%r) {axis = 1}
        %e = TEverything() {value = f32[2] [1.0, 2.0], strings = ["a", "\\u00e9"], ints = ints[]}
      }
      """;
  private static final String INSERTS = "%\"[](){}:,=_-.?/*\\\n 0123456789eE aZ#;@\u00e9";

  @Test
  void theUnmangledModelReads() {
    KilnText.parse(MODEL, "model.kiln", Path.of("."), TestOps.REGISTRY);
  }

  @Test
  void randomEditsNeverEscapeAsOtherExceptions() {
    int failures = 0;
    for (long seed = 0; seed < 400; seed++) {
      String text = mangle(MODEL, new Random(seed));
      try {
        KilnText.parse(text, "mangled.kiln", Path.of("."), TestOps.REGISTRY);
      } catch (ModelLoadException e) {
        failures++;
        assertFalse(e.diagnostics().isEmpty());
        for (Diagnostic d : e.diagnostics()) {
          assertTrue(d.line() >= 1 && d.column() >= 1, "seed " + seed + ": " + d + "\n" + text);
        }
      } catch (RuntimeException e) {
        throw new AssertionError("seed " + seed + " escaped with " + e + " on\n" + text, e);
      }
    }
    assertTrue(failures > 300, "most edits should break the model, got " + failures);
  }

  private static String mangle(String text, Random r) {
    StringBuilder sb = new StringBuilder(text);
    int edits = 1 + r.nextInt(3);
    for (int i = 0; i < edits; i++) {
      int at = r.nextInt(sb.length());
      switch (r.nextInt(3)) {
        case 0 -> sb.deleteCharAt(at);
        case 1 -> sb.insert(at, INSERTS.charAt(r.nextInt(INSERTS.length())));
        default -> sb.setCharAt(at, INSERTS.charAt(r.nextInt(INSERTS.length())));
      }
    }
    return sb.toString();
  }
}
