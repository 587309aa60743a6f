package dev.kiln.cli;

import dev.kiln.api.ModelOptions;
import dev.kiln.api.Passes;
import dev.kiln.passes.pipeline.NamedPipeline;
import dev.kiln.passes.pipeline.PassInfo;
import dev.kiln.passes.pipeline.PassOption;
import dev.kiln.passes.pipeline.PassRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "passes",
    mixinStandardHelpOptions = true,
    description = "List the passes and named pipelines a --passes pipeline may name, with their options.")
final class PassesCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--plugin", paramLabel = "JAR", description = "Include the passes of a plugin jar.")
  List<Path> plugins = new ArrayList<>();

  @Override
  public Integer call() {
    ModelOptions options = ModelOptions.defaults();
    for (Path jar : plugins) {
      options = options.withPlugin(jar);
    }
    PassRegistry registry = Passes.registry(options);
    PrintWriter out = spec.commandLine().getOut();
    out.println("passes:");
    for (PassInfo p : registry.passes().values()) {
      out.printf("  %-22s %s (%s%s)%n", p.argument(), p.summary(), p.input().description(),
          p.input() == p.output() ? "" : " to " + p.output().description());
      for (PassOption o : p.options()) {
        out.printf("  %-22s   %s: %s%n", "", o, o.summary());
      }
    }
    out.println("named pipelines:");
    for (NamedPipeline n : registry.pipelines().values()) {
      out.printf("  %-22s %s: %s%n", n.name(), n.summary(), n.text().isEmpty() ? "(empty)" : n.text());
    }
    out.flush();
    return 0;
  }
}
