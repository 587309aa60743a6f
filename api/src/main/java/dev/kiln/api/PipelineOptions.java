package dev.kiln.api;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.kiln.passes.pipeline.Pipeline;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The compiled engine's pass pipeline and what to show about it (the {@code kiln} options
 * {@code --passes}, {@code --plugin}, {@code --print-ir-after-all}, ...). Immutable; part of
 * {@link ModelOptions}.
 *
 * @param passes the pipeline as text ({@code "dce,O1"}); empty: the preset of the optimization
 *     level ({@code O0}..{@code O3})
 * @param pipeline the pipeline as an object (built in Java, e.g. with passes of one's own
 *     registry); used instead of {@code passes} when present
 * @param plugins pass plugin jars ({@link dev.kiln.passes.pipeline.PassPlugin}) whose passes the
 *     pipeline text may name
 * @param printIrAfterAll print the IR after every pass
 * @param printIrAfter print the IR after the passes of these names
 * @param printIrAfterChange print the IR after every pass that changed it
 * @param timePasses print a table of pass times after each compile
 * @param explain print why each rewrite pattern did or did not apply ({@code --explain-fusion})
 * @param verifyEach verify the IR after every pass (default: on)
 * @param reproducerDirectory where a pass crash writes its reproducer (default: the temporary
 *     directory)
 * @param diagnostics where IR dumps, timing tables and remarks go (default: standard error)
 */
public record PipelineOptions(Optional<String> passes, Optional<Pipeline> pipeline, ImmutableList<Path> plugins,
    boolean printIrAfterAll, ImmutableSet<String> printIrAfter, boolean printIrAfterChange,
    boolean timePasses, boolean explain, boolean verifyEach, Optional<Path> reproducerDirectory,
    Consumer<String> diagnostics) {

  public PipelineOptions {
    Objects.requireNonNull(passes, "passes");
    Objects.requireNonNull(pipeline, "pipeline");
    plugins = ImmutableList.copyOf(plugins);
    printIrAfter = ImmutableSet.copyOf(printIrAfter);
    Objects.requireNonNull(reproducerDirectory, "reproducerDirectory");
    Objects.requireNonNull(diagnostics, "diagnostics");
  }

  /** The preset of the optimization level, nothing printed, verify-each on, diagnostics to stderr. */
  public static PipelineOptions defaults() {
    return new PipelineOptions(Optional.empty(), Optional.empty(), ImmutableList.of(), false,
        ImmutableSet.of(), false, false, false, true,
        Optional.of(Path.of(System.getProperty("java.io.tmpdir"))), stderr());
  }

  private static Consumer<String> stderr() {
    PrintStream err = System.err;
    return text -> err.print(text.endsWith("\n") ? text : text + "\n");
  }

  /** Runs the pipeline written {@code text} (e.g. {@code "dce,O1"}); see docs/passes.md. */
  public PipelineOptions withPasses(String text) {
    return new PipelineOptions(Optional.of(text), Optional.empty(), plugins, printIrAfterAll, printIrAfter,
        printIrAfterChange, timePasses, explain, verifyEach, reproducerDirectory, diagnostics);
  }

  /** Runs {@code p}, a pipeline built in Java. */
  public PipelineOptions withPipeline(Pipeline p) {
    return new PipelineOptions(Optional.empty(), Optional.of(p), plugins, printIrAfterAll, printIrAfter,
        printIrAfterChange, timePasses, explain, verifyEach, reproducerDirectory, diagnostics);
  }

  /** Adds the passes of a plugin jar. */
  public PipelineOptions withPlugin(Path jar) {
    return new PipelineOptions(passes, pipeline, ImmutableList.<Path>builder().addAll(plugins).add(jar).build(),
        printIrAfterAll, printIrAfter, printIrAfterChange, timePasses, explain, verifyEach,
        reproducerDirectory, diagnostics);
  }

  public PipelineOptions withPrintIrAfterAll(boolean on) {
    return new PipelineOptions(passes, pipeline, plugins, on, printIrAfter, printIrAfterChange, timePasses,
        explain, verifyEach, reproducerDirectory, diagnostics);
  }

  public PipelineOptions withPrintIrAfter(Collection<String> passNames) {
    return new PipelineOptions(passes, pipeline, plugins, printIrAfterAll, ImmutableSet.copyOf(passNames),
        printIrAfterChange, timePasses, explain, verifyEach, reproducerDirectory, diagnostics);
  }

  public PipelineOptions withPrintIrAfterChange(boolean on) {
    return new PipelineOptions(passes, pipeline, plugins, printIrAfterAll, printIrAfter, on, timePasses,
        explain, verifyEach, reproducerDirectory, diagnostics);
  }

  public PipelineOptions withTimePasses(boolean on) {
    return new PipelineOptions(passes, pipeline, plugins, printIrAfterAll, printIrAfter, printIrAfterChange,
        on, explain, verifyEach, reproducerDirectory, diagnostics);
  }

  public PipelineOptions withExplain(boolean on) {
    return new PipelineOptions(passes, pipeline, plugins, printIrAfterAll, printIrAfter, printIrAfterChange,
        timePasses, on, verifyEach, reproducerDirectory, diagnostics);
  }

  public PipelineOptions withVerifyEach(boolean on) {
    return new PipelineOptions(passes, pipeline, plugins, printIrAfterAll, printIrAfter, printIrAfterChange,
        timePasses, explain, on, reproducerDirectory, diagnostics);
  }

  public PipelineOptions withReproducerDirectory(Optional<Path> directory) {
    return new PipelineOptions(passes, pipeline, plugins, printIrAfterAll, printIrAfter, printIrAfterChange,
        timePasses, explain, verifyEach, directory, diagnostics);
  }

  public PipelineOptions withDiagnostics(Consumer<String> sink) {
    return new PipelineOptions(passes, pipeline, plugins, printIrAfterAll, printIrAfter, printIrAfterChange,
        timePasses, explain, verifyEach, reproducerDirectory, sink);
  }

  /** Whether any instrument prints. */
  boolean printsAnything() {
    return printIrAfterAll || !printIrAfter.isEmpty() || printIrAfterChange || timePasses || explain;
  }
}
