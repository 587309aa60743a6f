package dev.kiln.ir.op;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.AttributeKind;
import java.util.Optional;

/**
 * One attribute an operator accepts.
 *
 * @param defaultValue the ONNX default, for documentation and for code that wants it; absent
 *     attributes stay absent in the graph so that printing round-trips exactly
 */
public record AttrSpec(
    String name, AttributeKind kind, boolean required, Optional<Attribute> defaultValue) {

  public static AttrSpec required(String name, AttributeKind kind) {
    return new AttrSpec(name, kind, true, Optional.empty());
  }

  public static AttrSpec optional(String name, AttributeKind kind) {
    return new AttrSpec(name, kind, false, Optional.empty());
  }

  public static AttrSpec optional(String name, Attribute defaultValue) {
    return new AttrSpec(name, defaultValue.kind(), false, Optional.of(defaultValue));
  }
}
