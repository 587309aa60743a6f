package dev.kiln.cli;

import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Parameters;

@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = "Parse and verify a model; print its signature or every error in it.")
final class CheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Parameters(paramLabel = "FILE", description = "The model (.kiln or .onnx).")
  Path file;

  @Override
  public Integer call() {
    Model model = Kiln.load(file);
    out().println(file + ": ok, " + Signature.describe(model.graph()));
    return 0;
  }
}
