package dev.kiln.ir.ops.elementwise;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.OpSchema;

/**
 * The attributes of one application read with the schema's ONNX defaults, so that each default
 * is written once, in the operator's {@link AttrSpec}.
 */
record AttrReader(OpSchema schema, Attributes attrs) {

  float getFloat(String name) {
    return attrs.getFloat(name, ((Attribute.FloatAttr) defaultOf(name)).value());
  }

  long getInt(String name) {
    return attrs.getInt(name, ((Attribute.IntAttr) defaultOf(name)).value());
  }

  String getString(String name) {
    return attrs.getString(name, ((Attribute.StringAttr) defaultOf(name)).value());
  }

  private Attribute defaultOf(String name) {
    AttrSpec spec =
        schema
            .attribute(name)
            .orElseThrow(
                () -> new IllegalStateException(schema.name() + " has no attribute " + name));
    return spec.defaultValue()
        .orElseThrow(
            () -> new IllegalStateException(schema.name() + "." + name + " has no default"));
  }
}
