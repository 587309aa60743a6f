package dev.kiln.passes.pipeline;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.LoopVerifier;
import dev.kiln.ir.verify.Verifier;
import dev.kiln.ir.verify.VerifierError;
import dev.kiln.passes.schedule.ScheduleException;
import dev.kiln.passes.shape.ShapeBindingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Runs a {@link Pipeline}: each pass in order, the {@link PassInstrument}s around each, the
 * verifier after each (graph {@link Verifier} or {@link LoopVerifier}; on by default), and on a
 * crash a reproducer file. Immutable and thread-safe; build one per pipeline and reuse it.
 *
 * <p>Failures: a user's problem ({@link PassException}, {@link ShapeBindingException}, a custom
 * schedule's {@link ScheduleException}) passes through unchanged. Anything else a pass throws,
 * and output that does not verify, is a bug in the pass: a {@link PassCrashException} whose
 * message names the pass and the reproducer.
 */
public final class PassManager {
  private final Pipeline pipeline;
  private final ImmutableList<Pass> passes;
  private final ImmutableList<PassInstrument> instruments;
  private final boolean verifyEach;
  private final Verifier verifier;
  private final IrPrinter printer;
  private final Optional<Path> reproducerDirectory;

  private PassManager(Builder b) {
    this.pipeline = b.pipeline;
    this.passes = b.pipeline.passes().stream().map(Pipeline.PassStep::create)
        .collect(ImmutableList.toImmutableList());
    this.instruments = ImmutableList.copyOf(b.instruments);
    this.verifyEach = b.verifyEach;
    this.verifier = b.verifier;
    this.printer = b.printer;
    this.reproducerDirectory = b.reproducerDirectory;
  }

  public static Builder builder(Pipeline pipeline) {
    return new Builder(pipeline);
  }

  public Pipeline pipeline() {
    return pipeline;
  }

  /** Runs the pipeline on {@code input} with a context that drops remarks. */
  public Ir run(Ir input) {
    return run(input, PassContext.silent());
  }

  /** Runs the pipeline on {@code input}. */
  public Ir run(Ir input, PassContext context) {
    List<Pipeline.PassStep> steps = pipeline.passes();
    instruments.forEach(i -> i.beforePipeline(pipeline, input));
    Ir ir = input;
    for (int i = 0; i < steps.size(); i++) {
      Pipeline.PassStep step = steps.get(i);
      if (ir.level() != step.info().input()) {
        throw new PassException("pass '" + step.info().argument() + "' works on "
            + step.info().input().description() + ", but it was given " + ir.level().description());
      }
      long start = System.nanoTime();
      Ir out;
      try {
        out = Objects.requireNonNull(passes.get(i).run(ir, context), "the pass returned null");
      } catch (PassException | ShapeBindingException | ScheduleException e) {
        throw e;
      } catch (RuntimeException | StackOverflowError e) {
        throw crash(step, i, input, context, "threw " + e, e);
      }
      long nanos = System.nanoTime() - start;
      if (out.level() != step.info().output()) {
        throw crash(step, i, input, context, "returned " + out.level().description()
            + " but is registered to return " + step.info().output().description(), null);
      }
      if (verifyEach) {
        long verifyStart = System.nanoTime();
        List<String> problems = verify(out);
        if (!problems.isEmpty()) {
          throw crash(step, i, input, context, "produced IR that does not verify:\n  "
              + String.join("\n  ", problems), null);
        }
        long verifyNanos = System.nanoTime() - verifyStart;
        instruments.forEach(inst -> inst.afterVerify(step, verifyNanos));
      }
      Ir before = ir;
      Ir after = out;
      instruments.forEach(inst -> inst.afterPass(step, before, after, nanos));
      ir = out;
    }
    Ir output = ir;
    instruments.forEach(inst -> inst.afterPipeline(output));
    return output;
  }

  private List<String> verify(Ir ir) {
    return switch (ir) {
      case Ir.OfGraph g -> verifier.verify(g.graph()).stream().map(VerifierError::toString).toList();
      case Ir.OfLoops l -> LoopVerifier.verify(l.program());
    };
  }

  private PassCrashException crash(Pipeline.PassStep step, int index, Ir input, PassContext context,
      String what, Throwable cause) {
    String pass = step.toString();
    Optional<Path> file = writeReproducer(pass, input, context, what);
    String message = "pass '" + pass + "' (step " + (index + 1) + " of " + pipeline.passes().size()
        + " in " + pipeline + ") " + what
        + file.map(f -> "\n  a reproducer (the pipeline's input IR and the pipeline) is in " + f
            + "\n  rerun it with: kiln print " + f + " " + runArguments(context))
            .orElse("\n  (no reproducer could be written)");
    return new PassCrashException(message, pass, file, cause);
  }

  /** The command-line arguments that rerun this pipeline on the same shapes. */
  private String runArguments(PassContext context) {
    StringBuilder sb = new StringBuilder("--passes=" + quoteIfNeeded(pipeline.toString()));
    for (Map.Entry<String, long[]> e : context.inputShapes().entrySet()) {
      sb.append(" --input-shape ").append(e.getKey()).append('=')
          .append(Arrays.stream(e.getValue()).mapToObj(Long::toString).collect(Collectors.joining(",")));
    }
    return sb.toString();
  }

  private static String quoteIfNeeded(String s) {
    return s.matches("[A-Za-z0-9_,=\\-.]*") ? s : "'" + s.replace("'", "'\\''") + "'";
  }

  private Optional<Path> writeReproducer(String pass, Ir input, PassContext context, String what) {
    if (reproducerDirectory.isEmpty()) {
      return Optional.empty();
    }
    try {
      String ir = switch (input) {
        case Ir.OfGraph g -> printer.reproducer(g.graph());
        case Ir.OfLoops l -> printer.print(l);
      };
      String text = "// Kiln pass crash reproducer: pass '" + pass + "' " + what.lines().findFirst().orElse("")
          + "\n// RUN: " + runArguments(context) + "\n" + ir;
      Files.createDirectories(reproducerDirectory.get());
      Path file = Files.createTempFile(reproducerDirectory.get(),
          "kiln-crash-" + pass.replaceAll("[^A-Za-z0-9-]", "_") + "-", ".kiln");
      Files.writeString(file, text);
      return Optional.of(file);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Configures a pass manager; every setting has a default. */
  public static final class Builder {
    private final Pipeline pipeline;
    private final List<PassInstrument> instruments = new ArrayList<>();
    private boolean verifyEach = true;
    private Verifier verifier = Verifier.standard();
    private IrPrinter printer = IrPrinter.plain();
    private Optional<Path> reproducerDirectory =
        Optional.of(Path.of(System.getProperty("java.io.tmpdir")));

    private Builder(Pipeline pipeline) {
      this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
    }

    public Builder instrument(PassInstrument instrument) {
      instruments.add(Objects.requireNonNull(instrument));
      return this;
    }

    /** Verify after every pass (default: on). */
    public Builder verifyEach(boolean on) {
      this.verifyEach = on;
      return this;
    }

    /** The graph verifier (default: the standard operators'; a model with custom operators needs its own). */
    public Builder verifier(Verifier v) {
      this.verifier = Objects.requireNonNull(v);
      return this;
    }

    /** How graph IR prints in reproducers (default: {@link IrPrinter#plain()}). */
    public Builder printer(IrPrinter p) {
      this.printer = Objects.requireNonNull(p);
      return this;
    }

    /** Where crash reproducers go (default: the temporary directory); empty: write none. */
    public Builder reproducerDirectory(Optional<Path> directory) {
      this.reproducerDirectory = Objects.requireNonNull(directory);
      return this;
    }

    public PassManager build() {
      return new PassManager(this);
    }
  }
}
