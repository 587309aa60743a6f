package dev.kiln.frontend.kiln;

import dev.kiln.grammar.KilnLexer;
import dev.kiln.grammar.KilnParser;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.NoViableAltException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.Interval;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * ANTLR's error recovery with messages for people: "expected ')' or ',', found '%y'" instead of
 * "mismatched input '%y' expecting {')', ','}", and named problems for unterminated strings and
 * comments, stray characters, and a colon glued to a value name.
 */
final class SyntaxErrorMessages extends DefaultErrorStrategy {
  /** Beyond this many alternatives a list of them stops helping. */
  private static final int MAX_LISTED = 5;

  @Override
  protected void reportNoViableAlternative(Parser parser, NoViableAltException e) {
    Token found = e.getOffendingToken();
    parser.notifyErrorListeners(found, unexpected(parser, found, e.getExpectedTokens()), e);
  }

  @Override
  protected void reportInputMismatch(Parser parser, InputMismatchException e) {
    Token found = e.getOffendingToken();
    parser.notifyErrorListeners(found, unexpected(parser, found, e.getExpectedTokens()), e);
  }

  @Override
  protected void reportUnwantedToken(Parser parser) {
    if (inErrorRecoveryMode(parser)) {
      return;
    }
    beginErrorCondition(parser);
    Token found = parser.getCurrentToken();
    parser.notifyErrorListeners(found, unexpected(parser, found, getExpectedTokens(parser)), null);
  }

  @Override
  protected void reportMissingToken(Parser parser) {
    if (inErrorRecoveryMode(parser)) {
      return;
    }
    beginErrorCondition(parser);
    Token found = parser.getCurrentToken();
    parser.notifyErrorListeners(found, unexpected(parser, found, getExpectedTokens(parser)), null);
  }

  private static String unexpected(Parser parser, Token found, IntervalSet expected) {
    String problem = describeProblem(found);
    if (problem != null) {
      return problem;
    }
    if (found.getType() == KilnParser.MODEL && expected != null
        && expected.contains(Token.EOF) && expected.size() == 1) {
      return "a file holds one model; this second 'model' is not expected";
    }
    String expectation = describeExpected(parser, expected);
    String message =
        expectation.isEmpty()
            ? "unexpected " + describe(found)
            : "expected " + expectation + ", found " + describe(found);
    return message + colonHint(parser, expected);
  }

  /** Tokens that are an error by themselves, whatever the parser expected. */
  private static String describeProblem(Token found) {
    return switch (found.getType()) {
      case KilnLexer.UNTERMINATED_STRING ->
          "unterminated string: a string must end with '\"' on the line where it starts";
      case KilnLexer.ERROR_CHAR -> {
        String next = found.getInputStream()
            .getText(Interval.of(found.getStopIndex() + 1, found.getStopIndex() + 1));
        yield found.getText().equals("/") && next.equals("*")
            ? "unterminated comment: '/*' without a closing '*/'"
            : "unexpected character " + quoteChar(found.getText()) + switch (found.getText()) {
              case "#" -> " (comments start with //)";
              case "%" -> " (a value name is % followed by a name, as in %x or %\"my name\")";
              case ";" -> " (statements end at the end of their line; no ';' is needed)";
              default -> "";
            };
      }
      default -> null;
    };
  }

  private static String quoteChar(String c) {
    int cp = c.codePointAt(0);
    return cp < 0x20 || cp == 0x7f ? String.format("U+%04X", cp) : "'" + c + "'";
  }

  private static String describe(Token t) {
    if (t.getType() == Token.EOF) {
      return "end of file";
    }
    String text = t.getText();
    if (text.length() > 30) {
      text = text.substring(0, 27) + "...";
    }
    return "'" + text + "'";
  }

  private static String describeExpected(Parser parser, IntervalSet expected) {
    if (expected == null || expected.isNil()) {
      return "";
    }
    ParserRuleContext ctx = parser.getContext();
    if (ctx instanceof KilnParser.AttrValueContext) {
      return "an attribute value (a number, a string, a list or a tensor)";
    }
    if (ctx instanceof KilnParser.ModelContext && expected.contains(KilnParser.CONST)) {
      return "a statement (const, weights, or a node such as %y = Relu(%x)) or '}'";
    }
    Set<String> items = new LinkedHashSet<>();
    boolean names = expected.contains(KilnParser.ID);
    boolean numbers = expected.contains(KilnParser.FLOAT);
    for (int type : expected.toList()) {
      String item = describeTokenType(parser, type, names, numbers);
      if (item != null) {
        items.add(item);
      }
    }
    if (items.isEmpty() || items.size() > MAX_LISTED) {
      return "";
    }
    List<String> list = new ArrayList<>(items);
    if (list.size() == 1) {
      return list.get(0);
    }
    return String.join(", ", list.subList(0, list.size() - 1)) + " or " + list.getLast();
  }

  private static String describeTokenType(Parser parser, int type, boolean names, boolean numbers) {
    return switch (type) {
      case Token.EOF -> "end of file";
      case KilnParser.BARE_VALUE, KilnParser.QUOTED_VALUE -> "a value name such as %x";
      case KilnParser.ID -> "a name";
      case KilnParser.STRING -> names ? null : "a string";
      case KilnParser.INT -> numbers ? null : "an integer";
      case KilnParser.FLOAT -> "a number";
      case KilnParser.NAN, KilnParser.INF, KilnParser.TRUE, KilnParser.FALSE,
          KilnParser.KILN, KilnParser.MODEL, KilnParser.WEIGHTS, KilnParser.CONST ->
          names || (numbers && (type == KilnParser.NAN || type == KilnParser.INF))
              ? null
              : parser.getVocabulary().getLiteralName(type);
      default -> {
        String literal = parser.getVocabulary().getLiteralName(type);
        if (literal != null && literal.equals("'-'") && numbers) {
          yield null;
        }
        yield literal != null ? literal : parser.getVocabulary().getDisplayName(type);
      }
    };
  }

  /**
   * {@code %x:f32[2]} lexes as the value name {@code %x:f32} (colons may sit inside names, as in
   * {@code %onnx::Conv_5}); say so when that is the likely cause.
   */
  private static String colonHint(Parser parser, IntervalSet expected) {
    Token previous = parser.getInputStream().LT(-1);
    if (expected != null
        && expected.contains(parser.getTokenType("':'"))
        && previous != null
        && previous.getType() == KilnParser.BARE_VALUE
        && previous.getText().contains(":")) {
      return " ('" + previous.getText() + "' reads as one value name because ':' may be part of a"
          + " name; put a space after the ':')";
    }
    return "";
  }
}
