package dev.kiln.frontend.kiln;

import dev.kiln.frontend.safetensors.SafeTensorsException;
import dev.kiln.frontend.safetensors.SafeTensorsFile;
import dev.kiln.grammar.KilnParser;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.TensorType;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.antlr.v4.runtime.Token;

/**
 * The model's {@code weights "file"} directive and the tensors read from it. Problems with the
 * file itself are reported at the directive; problems with one tensor at the constant using it.
 */
final class WeightsSource implements AutoCloseable {
  private final SourceFile source;
  private final Literals literals;
  private final Path baseDir;
  private Optional<String> declaredPath = Optional.empty();
  private int directiveLine;
  /** Set when the directive is present but the file is unusable: uses then stay quiet. */
  private boolean broken;
  private SafeTensorsFile file;

  WeightsSource(SourceFile source, Literals literals, Path baseDir) {
    this.source = source;
    this.literals = literals;
    this.baseDir = baseDir;
  }

  /** The path as written in the directive, if there is one. */
  Optional<String> declaredPath() {
    return declaredPath;
  }

  void directive(KilnParser.WeightsDirectiveContext ctx) {
    Token pathToken = ctx.STRING().getSymbol();
    if (declaredPath.isPresent() || broken) {
      source.error(ctx, "a model has one weights directive; the first is at line " + directiveLine);
      return;
    }
    directiveLine = ctx.getStart().getLine();
    Optional<String> path = literals.string(pathToken);
    if (path.isEmpty()) {
      broken = true;
      return;
    }
    declaredPath = path;
    Path resolved = baseDir.resolve(path.get()).toAbsolutePath().normalize();
    if (!Files.isRegularFile(resolved)) {
      source.error(pathToken, "weights file '" + path.get() + "' not found (looked for "
          + resolved + ")");
      broken = true;
      return;
    }
    try {
      file = SafeTensorsFile.open(resolved);
    } catch (SafeTensorsException | UncheckedIOException e) {
      source.error(pathToken, "cannot read weights file '" + path.get() + "': " + e.getMessage());
      broken = true;
    } catch (RuntimeException e) {
      // A bug in the reader rather than a bad file; still a message here, never a stack trace.
      source.error(pathToken, "cannot read weights file '" + path.get() + "': internal error: " + e);
      broken = true;
    }
  }

  /**
   * The tensor stored under a key, checked against the constant's declared type.
   *
   * @param what the constant, for messages ({@code constant %w})
   */
  Optional<Tensor> get(
      KilnParser.WeightsRefContext ref, Optional<TensorType> declared, KilnParser.TypeContext typeCtx,
      String what) {
    Optional<String> key = literals.string(ref.STRING().getSymbol());
    if (declaredPath.isEmpty() && !broken) {
      source.error(ref, "weights[...] needs a weights file: add a directive such as"
          + " weights \"model.safetensors\" to the model");
      return Optional.empty();
    }
    if (broken || key.isEmpty()) {
      return Optional.empty();
    }
    Optional<Tensor> tensor;
    try {
      tensor = file.get(key.get());
    } catch (SafeTensorsException | UncheckedIOException e) {
      source.error(ref.STRING(), "cannot read '" + key.get() + "' from weights file '"
          + declaredPath.get() + "': " + e.getMessage());
      return Optional.empty();
    }
    if (tensor.isEmpty()) {
      source.error(ref.STRING(), "weights file '" + declaredPath.get() + "' has no tensor '"
          + key.get() + "'" + KilnNames.didYouMean(key.get(), file.keys(), 2));
      return Optional.empty();
    }
    if (declared.isPresent() && !declared.get().equals(tensor.get().type())) {
      source.error(typeCtx, what + " is declared " + declared.get() + " but weights '" + key.get()
          + "' in '" + declaredPath.get() + "' is " + tensor.get().type());
      return Optional.empty();
    }
    return declared.isPresent() ? tensor : Optional.empty();
  }

  @Override
  public void close() {
    if (file != null) {
      file.close();
    }
  }
}
