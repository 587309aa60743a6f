package dev.kiln.cli;

import dev.kiln.api.Kiln;
import dev.kiln.frontend.kiln.KilnText;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Parameters;

@Command(
    name = "print",
    mixinStandardHelpOptions = true,
    description = "Print a model as canonical Kiln text (types inferred, attributes sorted).")
final class PrintCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Parameters(paramLabel = "FILE", description = "The model (.kiln or .onnx).")
  Path file;

  @Override
  public Integer call() {
    out().print(KilnText.print(Kiln.load(file).source()));
    out().flush();
    return 0;
  }
}
