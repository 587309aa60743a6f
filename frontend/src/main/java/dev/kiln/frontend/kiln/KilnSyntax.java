package dev.kiln.frontend.kiln;

import dev.kiln.grammar.KilnLexer;
import dev.kiln.grammar.KilnParser;
import java.util.HashSet;
import java.util.Set;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;

/**
 * Runs the ANTLR lexer and parser over Kiln text. Syntax errors go to the {@link SourceFile} with
 * the friendly messages of {@link SyntaxErrorMessages}, at most one per line: after the first
 * error on a line, ANTLR's recovery mostly reports its own confusion; and none after an
 * unterminated string or comment.
 */
final class KilnSyntax {
  private KilnSyntax() {}

  static KilnParser.FileContext parse(String text, SourceFile source) {
    KilnLexer lexer = new KilnLexer(CharStreams.fromString(text, source.name()));
    KilnParser parser = new KilnParser(new CommonTokenStream(lexer));
    Listener listener = new Listener(source);
    // The default listeners print to the console; every error must become a Diagnostic instead.
    lexer.removeErrorListeners();
    lexer.addErrorListener(listener);
    parser.removeErrorListeners();
    parser.addErrorListener(listener);
    parser.setErrorHandler(new SyntaxErrorMessages());
    return parser.file();
  }

  private static final class Listener extends BaseErrorListener {
    private final SourceFile source;
    private final Set<Integer> linesWithErrors = new HashSet<>();
    private boolean lexingDerailed;

    Listener(SourceFile source) {
      this.source = source;
    }

    @Override
    public void syntaxError(
        Recognizer<?, ?> recognizer,
        Object offendingSymbol,
        int line,
        int charPositionInLine,
        String msg,
        RecognitionException e) {
      if (!lexingDerailed && linesWithErrors.add(line)) {
        source.add(source.diagnostic(line, charPositionInLine, msg));
      }
      // After an unterminated string or comment the rest of the text is tokenized wrongly, so
      // anything reported after it would be noise.
      lexingDerailed |= msg.startsWith("unterminated");
    }
  }
}
