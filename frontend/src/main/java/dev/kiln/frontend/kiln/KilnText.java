package dev.kiln.frontend.kiln;

import dev.kiln.frontend.Diagnostic;
import dev.kiln.frontend.ModelLoadException;
import dev.kiln.grammar.KilnParser;
import dev.kiln.ir.op.OpRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Entry points of the Kiln model language: read a {@code .kiln} file or string into a verified
 * graph, and print a graph back as canonical text that parses to an equal graph. The language is
 * described in {@code docs/language.md}.
 */
public final class KilnText {
  private KilnText() {}

  /**
   * Reads and verifies a {@code .kiln} file with the standard operators; weights are
   * memory-mapped from the file named by its {@code weights} directive, relative to the model file.
   *
   * @throws ModelLoadException listing every error, each as {@code file:line:col: message}
   */
  public static KilnModel read(Path file) {
    return read(file, OpRegistry.standard());
  }

  /** Like {@link #read(Path)}, with the operators of {@code registry}. */
  public static KilnModel read(Path file, OpRegistry registry) {
    String text;
    try {
      byte[] bytes = Files.readAllBytes(file);
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (NoSuchFileException e) {
      throw new ModelLoadException(Diagnostic.of(file.toString(), "no such file"));
    } catch (CharacterCodingException e) {
      throw new ModelLoadException(Diagnostic.of(file.toString(), "not valid UTF-8 text"));
    } catch (IOException e) {
      throw new ModelLoadException(Diagnostic.of(file.toString(), "cannot read: " + e.getMessage()));
    }
    Path dir = file.toAbsolutePath().getParent();
    return parse(text, file.toString(), dir == null ? Path.of("") : dir, registry);
  }

  /**
   * Parses Kiln text with the standard operators. {@code sourceName} is used in messages;
   * {@code baseDir} resolves the weights file.
   */
  public static KilnModel parse(String text, String sourceName, Path baseDir) {
    return parse(text, sourceName, baseDir, OpRegistry.standard());
  }

  /** Like {@link #parse(String, String, Path)}, with the operators of {@code registry}. */
  public static KilnModel parse(String text, String sourceName, Path baseDir, OpRegistry registry) {
    Objects.requireNonNull(baseDir, "baseDir");
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    SourceFile source = new SourceFile(sourceName, text);
    KilnParser.FileContext tree = KilnSyntax.parse(text, source);
    if (source.hasErrors()) {
      // The tree of a file with syntax errors has holes; checking it would mostly add noise.
      throw new ModelLoadException(source.errors());
    }
    Optional<KilnModel> model = new GraphReader(source, registry, baseDir).read(tree);
    if (model.isEmpty()) {
      throw new ModelLoadException(source.errors());
    }
    return model.get();
  }

  /**
   * Canonical text of a model; {@code parse(print(m))} gives an equal graph.
   *
   * @throws IllegalArgumentException when a constant names a weights key but the model has no
   *     weights file to hold it
   */
  public static String print(KilnModel model) {
    return KilnPrinter.print(model);
  }

  /**
   * Kiln text for reading (IR dumps of the pass manager): canonical text, except that an inline
   * constant of more than {@code elideAbove} elements prints as {@code <elided>} and weights keys
   * print even when the model names no weights file. Such text does not parse back.
   */
  public static String printForReading(KilnModel model, long elideAbove) {
    return KilnPrinter.print(model, elideAbove);
  }
}
