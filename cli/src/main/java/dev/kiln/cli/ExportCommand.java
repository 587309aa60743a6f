package dev.kiln.cli;

import dev.kiln.api.Kiln;
import dev.kiln.frontend.onnx.ModelConversion;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Export a model (.kiln or .onnx) as an ONNX model of opset 17, constants as initializers."
    })
final class ExportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "FILE", description = "The model (.kiln or .onnx).")
  Path file;

  @Option(names = {"-o", "--output"}, paramLabel = "OUT.onnx", required = true,
      description = "The ONNX file to write.")
  Path output;

  @Override
  public Integer call() throws IOException {
    if (!output.getFileName().toString().endsWith(".onnx")) {
      throw new UserException("the output of export must be an .onnx file, got " + output);
    }
    ModelConversion.writeOnnx(Kiln.load(file).source(), output);
    spec.commandLine().getOut().println("wrote " + output);
    spec.commandLine().getOut().flush();
    return 0;
  }
}
