package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.OpRegistry;
import dev.kiln.ir.op.OpSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/operators.md is generated from the registry, so it cannot drift; and every registered
 * operator has reference tests.
 */
class OperatorCatalogTest {
  static final Path DOC = Path.of("docs/operators.md");

  static String catalog() {
    StringBuilder sb = new StringBuilder();
    sb.append("# Operators\n\n")
        .append("Generated from the operator registry by `OperatorCatalogTest` (regenerate with\n")
        .append("`bin/test -pl tests -am -Dkiln.regenerateDocs=true`). Semantics are those of the ONNX\n")
        .append("operator spec, opsets 13 to 17; where a later opset turned an attribute into an input,\n")
        .append("both forms are accepted. Each operator's class in `ir/src/main/java/dev/kiln/ir/ops/`\n")
        .append("holds its schema, shape inference and reference semantics. Inputs *read at compile\n")
        .append("time* decide output shapes by their values (`OpSchema.readsAtCompileTime`): compiled\n")
        .append("code is specialized to their values (see docs/compiler.md).\n\n")
        .append(OpRegistry.standard().all().size()).append(" operators.\n\n")
        .append("| operator | inputs | outputs | attributes (default) |\n|---|---|---|---|\n");
    for (OpSchema op : OpRegistry.standard().all()) {
      sb.append("| ").append(op.name())
          .append(" | ").append(op.describeInputArity()).append(compileTimeSlots(op))
          .append(" | ").append(op.describeOutputArity())
          .append(" | ").append(op.attributes().stream().map(OperatorCatalogTest::describe)
              .collect(Collectors.joining(", ")))
          .append(" |\n");
    }
    return sb.toString();
  }

  /** {@code ; input 1 read at compile time}, or empty. */
  private static String compileTimeSlots(OpSchema op) {
    List<String> slots = new ArrayList<>();
    for (int slot = 0; slot < Math.min(op.maxInputs(), 16); slot++) {
      if (op.readsAtCompileTime(slot)) {
        slots.add(Integer.toString(slot));
      }
    }
    return slots.isEmpty() ? "" : "; " + (slots.size() == 1 ? "input " : "inputs ")
        + String.join(", ", slots) + " read at compile time";
  }

  private static String describe(AttrSpec a) {
    String s = "`" + a.name() + "`: " + a.kind();
    if (a.required()) {
      return s + " (required)";
    }
    return a.defaultValue().map(v -> s + " = " + render(v)).orElse(s);
  }

  private static String render(Attribute v) {
    return switch (v) {
      case Attribute.IntAttr i -> Long.toString(i.value());
      case Attribute.FloatAttr f -> Float.toString(f.value());
      case Attribute.StringAttr s -> "\"" + s.value() + "\"";
      case Attribute.IntsAttr i -> i.values().toString();
      case Attribute.FloatsAttr f -> f.values().toString();
      case Attribute.StringsAttr s -> s.values().toString();
      case Attribute.TensorAttr t -> t.value().toString();
    };
  }

  @Test
  void docsListEveryOperator() throws IOException {
    String expected = catalog();
    if (Boolean.getBoolean("kiln.regenerateDocs")) {
      Files.writeString(DOC, expected);
    }
    assertEquals(expected, Files.exists(DOC) ? Files.readString(DOC) : "",
        DOC + " is stale; regenerate with bin/test -pl tests -am -Dkiln.regenerateDocs=true");
  }

  @Test
  void everyOperatorHasReferenceTests() throws IOException {
    String tests;
    try (Stream<Path> files = Files.walk(Path.of("ir/src/test/java/dev/kiln/ir/ops"))) {
      tests = files.filter(p -> p.toString().endsWith(".java")).map(p -> {
        try {
          return Files.readString(p);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).collect(Collectors.joining("\n"));
    }
    List<String> untested = new ArrayList<>();
    for (OpSchema op : OpRegistry.standard().all()) {
      if (!tests.contains("\"" + op.name() + "\"")) {
        untested.add(op.name());
      }
    }
    assertTrue(untested.isEmpty(), "operators without reference tests in ir/src/test: " + untested);
  }
}
