package dev.kiln.cli;

import dev.kiln.api.InputShapes;
import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.api.ModelOptions;
import dev.kiln.api.Passes;
import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.passes.pipeline.Ir;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Parameters;

@Command(
    name = "print",
    mixinStandardHelpOptions = true,
    description = {"Print a model as canonical Kiln text (types inferred, attributes sorted).",
        "With --passes or -O, run that pipeline first and print its result: graph IR as Kiln text, "
            + "or loop IR once lowered (the pipeline runs as written; see docs/passes.md)."})
final class PrintCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Parameters(paramLabel = "FILE", description = "The model (.kiln or .onnx).")
  Path file;

  @Mixin
  PassFlags passFlags = new PassFlags();

  @Option(names = "--dim", paramLabel = "NAME=SIZE",
      description = "Size of a symbolic dimension for bind-shapes (default 1, with a note).")
  Map<String, Long> dims = new LinkedHashMap<>();

  @Option(names = "--input-shape", paramLabel = "NAME=D0,D1,...",
      description = "The whole shape of an input for bind-shapes (repeat per input).")
  List<String> inputShapes = new ArrayList<>();

  @Override
  public Integer call() {
    if (!passFlags.any()) {
      out().print(KilnText.print(Kiln.load(file).source()));
      out().flush();
      return 0;
    }
    Model model = Kiln.load(file, passFlags.applyTo(
        ModelOptions.defaults().withEngine(ModelOptions.Engine.INTERPRETER), spec.commandLine().getErr()));
    Map<String, long[]> shapes = Map.of();
    if (Passes.pipeline(model.options()).contains("bind-shapes")) {
      InputShapes resolved;
      try {
        resolved = InputShapes.resolve(model.graph(), dims, CompileCommand.parseShapes(inputShapes));
      } catch (IllegalArgumentException e) {
        throw new UserException(e.getMessage());
      }
      resolved.notes().forEach(n -> spec.commandLine().getErr().println("note: " + n));
      shapes = resolved.shapes();
    }
    Ir result = Passes.run(model, shapes);
    out().print(Passes.print(model, result));
    out().flush();
    return 0;
  }
}
