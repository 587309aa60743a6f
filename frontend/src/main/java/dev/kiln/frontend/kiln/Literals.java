package dev.kiln.frontend.kiln;

import dev.kiln.grammar.KilnParser;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import dev.kiln.ir.type.DType;
import dev.kiln.ir.type.Dim;
import dev.kiln.ir.type.Shape;
import dev.kiln.ir.type.TensorType;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.antlr.v4.runtime.CommonToken;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.Interval;

/**
 * Reads the literal pieces of Kiln text: strings and names (checking escapes), types, numbers and
 * tensor element lists (checking counts and ranges against the element type). Each method
 * reports its problems to the {@link SourceFile} and returns empty when the piece is unusable.
 */
final class Literals {
  private static final List<String> DTYPE_NAMES =
      Arrays.stream(DType.values()).map(DType::text).toList();
  // The smallest magnitude that rounds to infinity in bf16 (halfway from its max to 2^128).
  private static final float BF16_OVERFLOW = Float.intBitsToFloat(0x7f7f8000);

  private final SourceFile source;

  Literals(SourceFile source) {
    this.source = source;
  }

  /** The value of a string literal token ({@code "..."}, or {@code %"..."} for a value). */
  Optional<String> string(Token token) {
    String text = token.getText();
    int prefix = text.startsWith("%") ? 1 : 0;
    KilnNames.Unquoted u = KilnNames.unquote(text.substring(prefix));
    if (u.error().isPresent()) {
      CommonToken at = new CommonToken(token);
      String before = text.substring(0, prefix + u.errorOffset());
      at.setCharPositionInLine(token.getCharPositionInLine() + before.codePointCount(0, before.length()));
      source.error(at, u.error().get());
      return Optional.empty();
    }
    return Optional.of(u.value());
  }

  Optional<String> name(KilnParser.NameContext ctx) {
    return ctx.STRING() != null ? string(ctx.STRING().getSymbol()) : Optional.of(ctx.getText());
  }

  Optional<String> valueName(KilnParser.ValueContext ctx) {
    if (ctx.QUOTED_VALUE() != null) {
      Optional<String> name = string(ctx.QUOTED_VALUE().getSymbol());
      if (name.isPresent() && name.get().isEmpty()) {
        source.error(ctx, "a value name cannot be empty");
        return Optional.empty();
      }
      return name;
    }
    return Optional.of(ctx.getText().substring(1));
  }

  Optional<TensorType> type(KilnParser.TypeContext ctx) {
    String dtypeName = ctx.dtype.getText();
    Optional<DType> dtype = DType.fromText(dtypeName);
    if (dtype.isEmpty()) {
      source.error(ctx.dtype, "unknown element type '" + dtypeName + "'"
          + KilnNames.didYouMean(dtypeName, DTYPE_NAMES, 2)
          + "; the types are " + String.join(", ", DTYPE_NAMES));
    }
    List<Dim> dims = new ArrayList<>();
    boolean ok = dtype.isPresent();
    for (KilnParser.DimContext d : ctx.dim()) {
      switch (d) {
        case KilnParser.KnownDimContext k -> {
          try {
            dims.add(Dim.of(Long.parseLong(k.getText())));
          } catch (NumberFormatException e) {
            source.error(k, "dimension " + k.getText() + " is too large");
            ok = false;
          }
        }
        case KilnParser.NamedDimContext n -> {
          Optional<String> name = name(n.name());
          if (name.isPresent() && name.get().isEmpty()) {
            source.error(n, "a dimension name cannot be empty");
            ok = false;
          } else if (name.isPresent()) {
            dims.add(Dim.named(name.get()));
          } else {
            ok = false;
          }
        }
        default -> dims.add(Dim.UNKNOWN);
      }
    }
    return ok ? Optional.of(new TensorType(dtype.get(), Shape.of(dims))) : Optional.empty();
  }

  /**
   * The tensor written as {@code body} for a declared type: the shape must be static and the
   * element count and every element must fit. {@code what} names the tensor in messages.
   */
  Optional<Tensor> tensor(
      KilnParser.TensorBodyContext body, TensorType type, KilnParser.TypeContext typeCtx, String what) {
    if (!type.shape().isStatic()) {
      source.error(typeCtx, what + " must have a static shape, got " + type);
      return Optional.empty();
    }
    long count;
    try {
      count = type.shape().elementCount();
    } catch (ArithmeticException e) {
      source.error(typeCtx, what + " has too many elements: " + type);
      return Optional.empty();
    }
    List<KilnParser.ElementContext> elements = body.element();
    if (count != elements.size()) {
      source.error(body, what + " has type " + type + " (" + count
          + (count == 1 ? " element" : " elements") + ") but " + elements.size()
          + (elements.size() == 1 ? " value is" : " values are") + " given");
      return Optional.empty();
    }
    TensorWriter w = TensorWriter.of(type.dtype(), type.shape().toLongArray());
    boolean ok = true;
    for (int i = 0; i < elements.size(); i++) {
      ok &= element(w, i, elements.get(i));
    }
    return ok ? Optional.of(w.build()) : Optional.empty();
  }

  private boolean element(TensorWriter w, int i, KilnParser.ElementContext e) {
    DType dtype = w.dtype();
    if (dtype == DType.BOOL) {
      if (e.number() != null) {
        source.error(e, "bool elements must be true or false, got " + e.getText());
        return false;
      }
      w.setBoolean(i, e.TRUE() != null);
      return true;
    }
    if (e.number() == null) {
      source.error(e, dtype + " elements must be numbers, got " + e.getText());
      return false;
    }
    if (dtype.isFloating()) {
      Optional<Double> v = floating(e.number(), dtype);
      v.ifPresent(d -> w.setDouble(i, d));
      return v.isPresent();
    }
    Optional<BigInteger> v = integer(e.number(), dtype + " elements must be integers");
    if (v.isEmpty()) {
      return false;
    }
    BigInteger min = minOf(dtype);
    BigInteger max = maxOf(dtype);
    if (v.get().compareTo(min) < 0 || v.get().compareTo(max) > 0) {
      source.error(e, e.getText() + " is out of range for " + dtype + " (" + min + " to " + max + ")");
      return false;
    }
    w.setLong(i, v.get().longValue());
    return true;
  }

  /** An integer literal; reports other numbers with {@code rule}, as in "x must be integers". */
  Optional<BigInteger> integer(KilnParser.NumberContext n, String rule) {
    if (n.INT() == null) {
      source.error(n, rule + ", got " + n.getText());
      return Optional.empty();
    }
    BigInteger v = new BigInteger(n.INT().getText());
    return Optional.of(n.getChild(0).getText().equals("-") ? v.negate() : v);
  }

  boolean isInteger(KilnParser.NumberContext n) {
    return n.INT() != null;
  }

  /** A number as a value of a floating type, rounded like the type; reports overflow. */
  Optional<Double> floating(KilnParser.NumberContext n, DType dtype) {
    if (n.NAN() != null) {
      return Optional.of(Double.NaN);
    }
    boolean negative = n.getChild(0).getText().equals("-");
    if (n.INF() != null) {
      return Optional.of(negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
    }
    String text = (negative ? "-" : "") + (n.INT() != null ? n.INT() : n.FLOAT()).getText();
    double v;
    boolean overflow;
    if (dtype == DType.F64) {
      v = Double.parseDouble(text);
      overflow = Double.isInfinite(v);
    } else {
      // Parse straight to float: going through double could round twice.
      float f = Float.parseFloat(text);
      v = f;
      overflow = Float.isInfinite(f)
          || dtype == DType.F16 && Float.isInfinite(Float.float16ToFloat(Float.floatToFloat16(f)))
          || dtype == DType.BF16 && Math.abs(f) >= BF16_OVERFLOW;
    }
    if (overflow) {
      source.error(n, n.getText() + " is out of range for " + dtype);
      return Optional.empty();
    }
    return Optional.of(v);
  }

  /** The text of a piece of syntax as written, spaces included (getText() drops them). */
  static String sourceText(ParserRuleContext ctx) {
    return ctx.getStart().getInputStream()
        .getText(Interval.of(ctx.getStart().getStartIndex(), ctx.getStop().getStopIndex()));
  }

  static BigInteger minOf(DType t) {
    return switch (t) {
      case I8 -> BigInteger.valueOf(Byte.MIN_VALUE);
      case I16 -> BigInteger.valueOf(Short.MIN_VALUE);
      case I32 -> BigInteger.valueOf(Integer.MIN_VALUE);
      case I64 -> BigInteger.valueOf(Long.MIN_VALUE);
      default -> BigInteger.ZERO;
    };
  }

  static BigInteger maxOf(DType t) {
    return switch (t) {
      case I8 -> BigInteger.valueOf(Byte.MAX_VALUE);
      case U8 -> BigInteger.valueOf(255);
      case I16 -> BigInteger.valueOf(Short.MAX_VALUE);
      case U16 -> BigInteger.valueOf(65535);
      case I32 -> BigInteger.valueOf(Integer.MAX_VALUE);
      case U32 -> BigInteger.valueOf(4294967295L);
      case I64 -> BigInteger.valueOf(Long.MAX_VALUE);
      case U64 -> BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
      default -> BigInteger.ONE;
    };
  }
}
