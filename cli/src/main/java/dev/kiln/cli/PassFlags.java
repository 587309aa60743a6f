package dev.kiln.cli;

import dev.kiln.api.ModelOptions;
import dev.kiln.api.PipelineOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The pass pipeline options shared by run, compile and print (docs/passes.md). */
final class PassFlags {
  @Option(names = "--passes", paramLabel = "PIPELINE",
      description = "The pass pipeline, e.g. --passes=dce,O1 (see 'kiln passes'); default: the -O preset.")
  String passes;

  @Option(names = "-O", paramLabel = "LEVEL",
      description = "Optimization level 0 to 3: the preset pipeline O0..O3 (default: "
          + ModelOptions.DEFAULT_OPTIMIZATION_LEVEL + ").")
  Integer level;

  @Option(names = "--plugin", paramLabel = "JAR",
      description = "Load the passes of a plugin jar (a PassPlugin service); repeat for more.")
  List<Path> plugins = new ArrayList<>();

  @Option(names = "--print-ir-after-all", description = "Print the IR after every pass (to stderr).")
  boolean printIrAfterAll;

  @Option(names = "--print-ir-after", paramLabel = "NAME", split = ",",
      description = "Print the IR after the passes NAME (comma-separated or repeated).")
  List<String> printIrAfter = new ArrayList<>();

  @Option(names = "--print-ir-after-change", description = "Print the IR after every pass that changed it.")
  boolean printIrAfterChange;

  @Option(names = "--time-passes", description = "Print a table of the time of every pass.")
  boolean timePasses;

  @Option(names = "--explain-fusion",
      description = "Print why each rewrite pattern (fusion, folding) did or did not apply, node by node.")
  boolean explain;

  @Option(names = "--no-verify-each", description = "Do not verify the IR after every pass (on by default).")
  boolean noVerifyEach;

  @Option(names = "--reproducer-dir", paramLabel = "DIR",
      description = "Where a crashing pass writes its reproducer (default: the temporary directory).")
  Path reproducerDir;

  /** Whether any of these options was given. */
  boolean any() {
    return passes != null || level != null || !plugins.isEmpty() || printIrAfterAll || !printIrAfter.isEmpty()
        || printIrAfterChange || timePasses || explain || noVerifyEach || reproducerDir != null;
  }

  /** {@code options} with these flags; diagnostics go to {@code err}. */
  ModelOptions applyTo(ModelOptions options, PrintWriter err) {
    if (level != null) {
      if (level < 0 || level > 3) {
        throw new UserException("-O takes a level from 0 to 3, got " + level);
      }
      options = options.withOptimizationLevel(level);
    }
    PipelineOptions p = options.pipelineOptions();
    if (passes != null) {
      p = p.withPasses(passes);
    }
    for (Path jar : plugins) {
      p = p.withPlugin(jar);
    }
    p = p.withPrintIrAfterAll(printIrAfterAll).withPrintIrAfter(printIrAfter)
        .withPrintIrAfterChange(printIrAfterChange).withTimePasses(timePasses).withExplain(explain)
        .withVerifyEach(!noVerifyEach)
        .withDiagnostics(text -> {
          err.print(text.endsWith("\n") ? text : text + "\n");
          err.flush();
        });
    if (reproducerDir != null) {
      p = p.withReproducerDirectory(Optional.of(reproducerDir));
    }
    return options.withPipelineOptions(p);
  }
}
