package dev.kiln.frontend.kiln;

import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.ir.graph.Node;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.TensorType;
import java.util.function.Function;

/**
 * Canonical Kiln text of a model: the version line, the signature, the weights directive, the
 * constants, then the nodes, each on one line with every result's type, node labels where the
 * node is named, and attributes sorted by name. Floats print in their shortest exact form, so the
 * text parses back to an equal graph.
 */
final class KilnPrinter {
  /** Elements per line when a long inline tensor is broken over several lines. */
  private static final int ELEMENTS_PER_LINE = 16;

  private KilnPrinter() {}

  static String print(KilnModel model) {
    return print(model, Long.MAX_VALUE);
  }

  /**
   * Like {@link #print(KilnModel)}, but a constant of more than {@code elideAbove} elements prints
   * as {@code <elided>}, and a weights key prints even without a weights file: text for reading,
   * which does not parse back when something was elided.
   */
  static String print(KilnModel model, long elideAbove) {
    boolean dump = elideAbove != Long.MAX_VALUE;
    Graph g = model.graph();
    StringBuilder sb = new StringBuilder();
    sb.append("kiln ").append(GraphReader.FORMAT_VERSION).append('\n');
    sb.append("model ").append(KilnNames.name(g.name()));
    sb.append(join(g.inputs(), KilnPrinter::typedValue, "(", ")"));
    sb.append(" -> ").append(join(g.outputs(), KilnPrinter::typedValue, "(", ")")).append(" {\n");
    model.weightsFile().ifPresent(f -> sb.append("  weights ").append(KilnNames.quote(f)).append('\n'));
    for (Constant c : g.constants()) {
      sb.append("  const ").append(typedValue(c.value())).append(" = ");
      if (dump && c.data().size() > elideAbove && (c.weightKey().isEmpty() || model.weightsFile().isEmpty())) {
        sb.append("<elided>");
      } else if (c.weightKey().isPresent()) {
        if (model.weightsFile().isEmpty() && !dump) {
          throw new IllegalArgumentException("constant " + KilnNames.value(c.value().name())
              + " refers to weights key '" + c.weightKey().get()
              + "' but the model has no weights file");
        }
        sb.append("weights[").append(KilnNames.quote(c.weightKey().get())).append(']');
      } else {
        appendElements(sb, c.data(), "    ");
      }
      sb.append('\n');
    }
    for (Node n : g.nodes()) {
      sb.append("  ");
      if (!n.name().isEmpty()) {
        sb.append(KilnNames.name(n.name())).append(": ");
      }
      sb.append(join(n.outputs(), KilnPrinter::typedValue, "", ""));
      sb.append(" = ").append(KilnNames.name(n.op()));
      sb.append(join(n.inputs(), in -> in.map(v -> KilnNames.value(v.name())).orElse("_"), "(", ")"));
      if (!n.attributes().isEmpty()) {
        sb.append(join(n.attributes().map().entrySet(),
            e -> KilnNames.name(e.getKey()) + " = " + attribute(e.getValue()), " {", "}"));
      }
      sb.append('\n');
    }
    return sb.append("}\n").toString();
  }

  private static String typedValue(Value v) {
    return KilnNames.value(v.name()) + ": " + type(v.type());
  }

  static String type(TensorType t) {
    return t.dtype().text() + join(t.shape().dims(), KilnPrinter::dim, "[", "]");
  }

  private static String dim(Dim d) {
    return switch (d) {
      case Dim.Known k -> Long.toString(k.size());
      case Dim.Named n -> KilnNames.name(n.name());
      case Dim.Unknown u -> "?";
    };
  }

  static String attribute(Attribute a) {
    return switch (a) {
      case Attribute.IntAttr i -> Long.toString(i.value());
      case Attribute.FloatAttr f -> floatText(f.value());
      case Attribute.StringAttr s -> KilnNames.quote(s.value());
      case Attribute.IntsAttr l ->
          l.values().isEmpty() ? "ints[]" : join(l.values(), v -> Long.toString(v), "[", "]");
      case Attribute.FloatsAttr l ->
          l.values().isEmpty() ? "floats[]" : join(l.values(), KilnPrinter::floatText, "[", "]");
      case Attribute.StringsAttr l ->
          l.values().isEmpty() ? "strings[]" : join(l.values(), KilnNames::quote, "[", "]");
      case Attribute.TensorAttr t -> {
        StringBuilder sb = new StringBuilder(type(t.value().type())).append(' ');
        appendElements(sb, t.value(), "    ");
        yield sb.toString();
      }
    };
  }

  /** A tensor's elements: a lone scalar bare, otherwise a flat row-major list. */
  private static void appendElements(StringBuilder sb, Tensor t, String indent) {
    if (t.rank() == 0) {
      sb.append(element(t, 0));
      return;
    }
    sb.append('[');
    boolean wrap = t.size() > ELEMENTS_PER_LINE;
    for (long i = 0; i < t.size(); i++) {
      if (wrap && i % ELEMENTS_PER_LINE == 0) {
        sb.append(i == 0 ? "\n" : ",\n").append(indent);
      } else if (i > 0) {
        sb.append(", ");
      }
      sb.append(element(t, i));
    }
    sb.append(wrap ? "\n  ]" : "]");
  }

  /** One element in the shortest text that reads back to the same stored value. */
  private static String element(Tensor t, long i) {
    DType d = t.dtype();
    return switch (d) {
      case F64 -> doubleText(t.getDouble(i));
      case F32, F16, BF16 -> floatText((float) t.getDouble(i));
      case BOOL -> Boolean.toString(t.getBoolean(i));
      case U64 -> Long.toUnsignedString(t.getLong(i));
      case I8, U8, I16, U16, I32, U32, I64 -> Long.toString(t.getLong(i));
    };
  }

  static String floatText(float f) {
    return Float.isNaN(f) ? "nan" : Float.isInfinite(f) ? (f > 0 ? "inf" : "-inf") : Float.toString(f);
  }

  static String doubleText(double d) {
    return Double.isNaN(d) ? "nan" : Double.isInfinite(d) ? (d > 0 ? "inf" : "-inf") : Double.toString(d);
  }

  private static <T> String join(Iterable<T> items, Function<T, String> show, String open, String close) {
    StringBuilder sb = new StringBuilder(open);
    boolean first = true;
    for (T item : items) {
      if (!first) {
        sb.append(", ");
      }
      sb.append(show.apply(item));
      first = false;
    }
    return sb.append(close).toString();
  }
}
