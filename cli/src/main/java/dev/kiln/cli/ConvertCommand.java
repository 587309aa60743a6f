package dev.kiln.cli;

import dev.kiln.api.Kiln;
import dev.kiln.frontend.onnx.ModelConversion;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    description = {
      "Convert a model (.onnx or .kiln) to Kiln text: OUT.kiln, plus OUT.safetensors next to it "
          + "holding the constants of more than " + ModelConversion.INLINE_LIMIT
          + " elements under their names (smaller ones stay inline)."
    })
final class ConvertCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "FILE", description = "The model (.onnx or .kiln).")
  Path file;

  @Option(names = {"-o", "--output"}, paramLabel = "OUT.kiln", required = true,
      description = "The Kiln file to write.")
  Path output;

  @Override
  public Integer call() throws IOException {
    if (!output.getFileName().toString().endsWith(".kiln")) {
      throw new UserException("the output of convert must be a .kiln file, got " + output);
    }
    List<Path> written = ModelConversion.writeKiln(Kiln.load(file).source(), output);
    for (Path p : written) {
      spec.commandLine().getOut().println("wrote " + p);
    }
    spec.commandLine().getOut().flush();
    return 0;
  }
}
