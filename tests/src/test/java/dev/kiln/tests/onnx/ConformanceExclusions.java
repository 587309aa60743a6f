package dev.kiln.tests.onnx;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The ONNX node tests that are known not to pass, each with the reason. A test case whose
 * operator Kiln does not have at all needs no entry (the reason is that message); every other
 * case that does not pass must match an entry here, and every entry must still match a case
 * that does not pass, so the list can neither hide a regression nor go stale.
 *
 * <p>Keys are test names, or prefixes ending in {@code *}.
 */
final class ConformanceExclusions {
  private ConformanceExclusions() {}

  private static final String TRUNCATED_BF16 = "the onnx 1.12 test data truncates f32 to bf16 "
      + "(0x3ef5eeb0 -> 0x3ef5); Kiln rounds to nearest even (0x3ef6), as ONNX Runtime and onnx's "
      + "own float32_to_bfloat16 do (the Cast spec names no rounding mode)";

  /** An exclusion: its pattern, the runners it excuses, and why. */
  record Exclusion(String pattern, Set<Runner> runners, String reason) {}

  /** Cases that do not pass on any runner. */
  static final Map<String, String> REASONS = new LinkedHashMap<>();
  /**
   * Cases that pass on the interpreter but not on the compiled engine at any level (an operator
   * without a lowering needs no entry: the engine says so). None today: the cases that feed a
   * shape-deciding operand (Reshape's shape, Slice's starts, ...) as a graph input compile,
   * since the compiled engine specializes on the values of such inputs.
   */
  static final Map<String, String> COMPILED_REASONS = new LinkedHashMap<>();
  /** Cases that pass at -O1 but not at -O3: a bug of an -O3 pass or kernel, until fixed. */
  static final Map<String, String> O3_REASONS = new LinkedHashMap<>();

  static {
    exclude("test_adagrad*", "training operator (domain ai.onnx.preview.training); Kiln is inference only");
    exclude("test_adam*", "training operator (domain ai.onnx.preview.training); Kiln is inference only");
    exclude("test_momentum*", "training operator (domain ai.onnx.preview.training); Kiln is inference only");
    exclude("test_nesterov_momentum", "training operator (domain ai.onnx.preview.training); Kiln is inference only");
    for (String name : List.of("test_training_dropout", "test_training_dropout_default",
        "test_training_dropout_default_mask", "test_training_dropout_mask")) {
      exclude(name, "Dropout in training mode with a ratio above 0 drops at random; Kiln is "
          + "inference only (with ratio 0, training mode drops nothing, and those cases pass)");
    }
    exclude("test_cast_FLOAT_to_STRING", "string tensors are not supported");
    exclude("test_cast_STRING_to_FLOAT", "string tensors are not supported");
    exclude("test_castlike_FLOAT_to_STRING*", "string tensors are not supported");
    exclude("test_castlike_STRING_to_FLOAT*", "string tensors are not supported");
    exclude("test_strnormalizer_*", "string tensors are not supported");
    exclude("test_cast_FLOAT_to_BFLOAT16", TRUNCATED_BF16);
    exclude("test_castlike_BFLOAT16_to_FLOAT*", "the test data's 'like' input has shape "
        + "[1] where the model declares [3, 4] (Kiln checks every input against its declared "
        + "shape)");
    exclude("test_castlike_FLOAT_to_BFLOAT16*", "the 'like' input's shape as in "
        + "test_castlike_BFLOAT16_to_FLOAT, and the output truncates as in "
        + "test_cast_FLOAT_to_BFLOAT16");
    exclude("test_identity_opt", "optional types are not supported");
    exclude("test_optional_*", "optional types are not supported");
    exclude("test_loop16_seq_none", "optional and sequence types are not supported");
    exclude("test_identity_sequence", "sequence types are not supported");
    exclude("test_loop13_seq", "sequence types are not supported");
    exclude("test_sequence_*", "sequence types are not supported");
    exclude("test_if", "If with a run-time condition (Kiln graphs have no control flow)");
    exclude("test_if_opt", "If with a run-time condition (Kiln graphs have no control flow)");
    exclude("test_if_seq", "If with a run-time condition (Kiln graphs have no control flow)");
    exclude("test_range_*_expanded", "the function body of Range spelled out uses Loop "
        + "(Kiln graphs have no control flow); the Range cases themselves pass");

  }

  private static void exclude(String pattern, String reason) {
    REASONS.put(pattern, reason);
  }

  private static void excludeCompiled(String pattern, String reason) {
    COMPILED_REASONS.put(pattern, reason);
  }

  private static void excludeO3(String pattern, String reason) {
    O3_REASONS.put(pattern, reason);
  }

  /** Every pattern, of every list. */
  static List<String> patterns() {
    List<String> all = new ArrayList<>(REASONS.keySet());
    all.addAll(COMPILED_REASONS.keySet());
    all.addAll(O3_REASONS.keySet());
    return all;
  }

  /** The exclusion that excuses {@code testName} on {@code runner}, if any. */
  static Optional<Exclusion> match(Runner runner, String testName) {
    Optional<Exclusion> e = match(REASONS, testName, EnumSet.allOf(Runner.class));
    if (e.isEmpty() && runner.compiled()) {
      e = match(COMPILED_REASONS, testName, EnumSet.of(Runner.COMPILED_O1, Runner.COMPILED_O3));
    }
    if (e.isEmpty() && runner == Runner.COMPILED_O3) {
      e = match(O3_REASONS, testName, EnumSet.of(Runner.COMPILED_O3));
    }
    return e;
  }

  private static Optional<Exclusion> match(Map<String, String> reasons, String testName,
      Set<Runner> runners) {
    for (Map.Entry<String, String> r : reasons.entrySet()) {
      String p = r.getKey();
      if (p.endsWith("*") ? testName.startsWith(p.substring(0, p.length() - 1))
          : p.contains("*") ? matchesInfix(p, testName) : p.equals(testName)) {
        return Optional.of(new Exclusion(p, runners, r.getValue()));
      }
    }
    return Optional.empty();
  }

  private static boolean matchesInfix(String pattern, String name) {
    int star = pattern.indexOf('*');
    return name.startsWith(pattern.substring(0, star)) && name.endsWith(pattern.substring(star + 1));
  }
}
