package dev.kiln.frontend.kiln;

import com.google.common.collect.ImmutableList;
import dev.kiln.grammar.KilnParser;
import dev.kiln.ir.graph.Attribute;
import dev.kiln.ir.graph.AttributeKind;
import dev.kiln.ir.graph.Attributes;
import dev.kiln.ir.op.AttrSpec;
import dev.kiln.ir.op.OpSchema;
import dev.kiln.ir.type.DType;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.antlr.v4.runtime.ParserRuleContext;

/**
 * Reads a node's {@code {name = value, ...}} block and checks it against the operator's schema:
 * unknown, repeated, missing and wrongly-kinded attributes, each reported where it is written.
 * Literals take their kind from the schema where the text alone is ambiguous: {@code 1} for a
 * float attribute is {@code 1.0}, and {@code []} is an empty list of the kind the schema wants.
 */
final class AttributeReader {
  private final SourceFile source;
  private final Literals literals;

  AttributeReader(SourceFile source, Literals literals) {
    this.source = source;
    this.literals = literals;
  }

  /**
   * The attributes of one node; empty when any is wrong.
   *
   * @param schema the operator, or empty when it is unknown (then only the literals are checked)
   * @param opToken where to report a missing required attribute
   */
  Optional<Attributes> read(
      KilnParser.AttributesContext block, Optional<OpSchema> schema, ParserRuleContext opToken) {
    Map<String, Attribute> read = new TreeMap<>();
    Map<String, Integer> lines = new HashMap<>();
    boolean ok = true;
    List<KilnParser.AttributeContext> attrs = block == null ? List.of() : block.attribute();
    for (KilnParser.AttributeContext a : attrs) {
      Optional<String> name = literals.name(a.key);
      if (name.isEmpty()) {
        ok = false;
        continue;
      }
      Optional<AttrSpec> spec = schema.flatMap(s -> s.attribute(name.get()));
      Optional<Attribute> value = value(a.attrValue(), spec.map(AttrSpec::kind), name.get());
      Integer firstLine = lines.putIfAbsent(name.get(), a.getStart().getLine());
      if (firstLine != null) {
        source.error(a.key, "attribute '" + name.get() + "' is given twice (first at line "
            + firstLine + ")");
        ok = false;
        continue;
      }
      if (schema.isPresent() && spec.isEmpty()) {
        source.error(a.key, unknown(name.get(), schema.get()));
        ok = false;
        continue;
      }
      if (value.isEmpty()) {
        ok = false;
        continue;
      }
      if (spec.isPresent() && spec.get().kind() != value.get().kind()) {
        source.error(a.attrValue(), "attribute '" + name.get() + "' of " + schema.get().name()
            + " must be " + article(spec.get().kind()) + ", got " + article(value.get().kind()));
        ok = false;
        continue;
      }
      read.put(name.get(), value.get());
    }
    if (schema.isPresent()) {
      for (AttrSpec spec : schema.get().attributes()) {
        if (spec.required() && !lines.containsKey(spec.name())) {
          source.error(opToken, schema.get().name() + " needs attribute '" + spec.name() + "' ("
              + spec.kind() + ")");
          ok = false;
        }
      }
    }
    return ok ? Optional.of(Attributes.of(read)) : Optional.empty();
  }

  private static String unknown(String name, OpSchema schema) {
    List<String> known = schema.attributes().stream().map(AttrSpec::name).toList();
    if (known.isEmpty()) {
      return "unknown attribute '" + name + "' for " + schema.name() + " (it takes no attributes)";
    }
    return "unknown attribute '" + name + "' for " + schema.name()
        + KilnNames.didYouMean(name, known, 2) + "; it takes " + String.join(", ", known);
  }

  static String article(AttributeKind kind) {
    return (kind == AttributeKind.INT || kind == AttributeKind.INTS ? "an " : "a ") + kind;
  }

  /** One attribute value, given the kind the schema wants when it is known. */
  private Optional<Attribute> value(
      KilnParser.AttrValueContext ctx, Optional<AttributeKind> want, String name) {
    return switch (ctx) {
      case KilnParser.NumberAttrContext n -> scalar(n.number(), want);
      case KilnParser.StringAttrContext s ->
          literals.string(s.STRING().getSymbol()).map(Attribute::of);
      case KilnParser.ListAttrContext l -> list(l, want);
      case KilnParser.TypedEmptyListAttrContext t -> typedEmpty(t);
      case KilnParser.TensorAttrContext t -> literals.type(t.type()).flatMap(
          type -> literals.tensor(t.tensorBody(), type, t.type(), "attribute '" + name + "'"))
          .map(Attribute::of);
      default -> throw new IllegalStateException("unknown attribute syntax " + ctx.getText());
    };
  }

  private Optional<Attribute> scalar(KilnParser.NumberContext n, Optional<AttributeKind> want) {
    if (literals.isInteger(n) && want.orElse(AttributeKind.INT) != AttributeKind.FLOAT) {
      return int64(n).map(Attribute::of);
    }
    return literals.floating(n, DType.F32).map(d -> Attribute.of((float) (double) d));
  }

  private Optional<Long> int64(KilnParser.NumberContext n) {
    Optional<BigInteger> v = literals.integer(n, "an int attribute must be an integer");
    if (v.isPresent() && v.get().bitLength() > 63) {
      source.error(n, n.getText() + " is out of range for an int attribute (64-bit)");
      return Optional.empty();
    }
    return v.map(BigInteger::longValue);
  }

  private Optional<Attribute> list(KilnParser.ListAttrContext l, Optional<AttributeKind> want) {
    List<KilnParser.ListItemContext> items = l.listItem();
    if (items.isEmpty()) {
      AttributeKind kind = want.orElse(AttributeKind.INTS);
      return switch (kind) {
        case FLOATS -> Optional.of(new Attribute.FloatsAttr(ImmutableList.of()));
        case STRINGS -> Optional.of(new Attribute.StringsAttr(ImmutableList.of()));
        case INTS -> Optional.of(new Attribute.IntsAttr(ImmutableList.of()));
        default -> {
          source.error(l, "an empty list needs its kind here: write ints[], floats[] or strings[]");
          yield Optional.empty();
        }
      };
    }
    long strings = items.stream().filter(i -> i.STRING() != null).count();
    if (strings == items.size()) {
      List<String> values = new ArrayList<>();
      for (KilnParser.ListItemContext i : items) {
        Optional<String> s = literals.string(i.STRING().getSymbol());
        if (s.isEmpty()) {
          return Optional.empty();
        }
        values.add(s.get());
      }
      return Optional.of(new Attribute.StringsAttr(ImmutableList.copyOf(values)));
    }
    if (strings > 0) {
      source.error(l, "a list attribute holds only numbers or only strings, got " + Literals.sourceText(l));
      return Optional.empty();
    }
    boolean allInts = items.stream().allMatch(i -> literals.isInteger(i.number()));
    if (allInts && want.orElse(AttributeKind.INTS) != AttributeKind.FLOATS) {
      List<Long> values = new ArrayList<>();
      for (KilnParser.ListItemContext i : items) {
        Optional<Long> v = int64(i.number());
        if (v.isEmpty()) {
          return Optional.empty();
        }
        values.add(v.get());
      }
      return Optional.of(new Attribute.IntsAttr(ImmutableList.copyOf(values)));
    }
    List<Float> values = new ArrayList<>();
    for (KilnParser.ListItemContext i : items) {
      Optional<Double> v = literals.floating(i.number(), DType.F32);
      if (v.isEmpty()) {
        return Optional.empty();
      }
      values.add((float) (double) v.get());
    }
    return Optional.of(new Attribute.FloatsAttr(ImmutableList.copyOf(values)));
  }

  private Optional<Attribute> typedEmpty(KilnParser.TypedEmptyListAttrContext t) {
    return switch (t.ident().getText()) {
      case "ints" -> Optional.of(new Attribute.IntsAttr(ImmutableList.of()));
      case "floats" -> Optional.of(new Attribute.FloatsAttr(ImmutableList.of()));
      case "strings" -> Optional.of(new Attribute.StringsAttr(ImmutableList.of()));
      default -> {
        source.error(t, "'" + t.getText() + "' is not an attribute value: empty lists are written"
            + " ints[], floats[] or strings[], and a tensor needs its elements, as in f32[] 1.0");
        yield Optional.empty();
      }
    };
  }
}
