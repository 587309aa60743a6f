package dev.kiln.cli;

import dev.kiln.api.ArtifactCompiler;
import dev.kiln.api.InputShapes;
import dev.kiln.api.Kiln;
import dev.kiln.api.Model;
import dev.kiln.runtime.artifact.ArtifactManifest;
import dev.kiln.runtime.artifact.ArtifactSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "compile",
    mixinStandardHelpOptions = true,
    description = {
      "Compile a model ahead of time for fixed input shapes into a self-contained artifact jar "
          + "(classes, weights, manifest) that 'kiln run' and Kiln.load run without a compiler.",
      "Loading an artifact runs the code in it: load only artifacts you would run as a program."
    })
final class CompileCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "FILE", description = "The model (.kiln or .onnx).")
  Path file;

  @Option(names = {"-o", "--output"}, paramLabel = "OUT.jar", required = true,
      description = "The artifact to write (replaced if it exists).")
  Path output;

  @Option(
      names = "--dim",
      paramLabel = "NAME=SIZE",
      description = "Size of a symbolic dimension (default 1, with a note), e.g. --dim N=8.")
  Map<String, Long> dims = new LinkedHashMap<>();

  @Option(
      names = "--input-shape",
      paramLabel = "NAME=D0,D1,...",
      description = "The whole shape of an input, e.g. --input-shape x=1,3,224,224 (repeat per input).")
  List<String> inputShapes = new ArrayList<>();

  @Option(names = "--emit-java", paramLabel = "FILE.java",
      description = "Also write the generated Java source of the artifact's class to FILE.java "
          + "(replaced if it exists): the kernels as code generation made them.")
  Path javaSource;

  @picocli.CommandLine.Mixin
  PassFlags passFlags = new PassFlags();

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if (output.getFileName() == null || !output.getFileName().toString().endsWith(".jar")) {
      throw new UserException("the output of compile must be a .jar file, got " + output);
    }
    if (file.getFileName() != null && file.getFileName().toString().endsWith(".jar")) {
      throw new UserException(file + " is already a compiled artifact; compile the .kiln or .onnx "
          + "model it was made from");
    }
    requireDirectoryOf(output, "");
    if (javaSource != null) {
      requireDirectoryOf(javaSource, "--emit-java ");
      if (Files.isDirectory(javaSource)) {
        throw new UserException("--emit-java " + javaSource + " is a directory; give a file name "
            + "such as KilnProgram.java");
      }
    }
    Model model = Kiln.load(file, passFlags.applyTo(dev.kiln.api.ModelOptions.defaults(), spec.commandLine().getErr()));
    InputShapes shapes;
    try {
      shapes = InputShapes.resolve(model.graph(), dims, parseShapes(inputShapes));
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage());
    }
    shapes.notes().forEach(n -> out.println("note: " + n));
    ArtifactSummary s = ArtifactCompiler.compile(model, shapes.shapes(), output, javaSource);
    ArtifactManifest m = s.manifest();
    out.println("wrote " + output + " (" + bytes(s.fileBytes()) + "): " + s.classes()
        + (s.classes() == 1 ? " class (" : " classes (") + bytes(s.classBytes()) + "), "
        + s.weights() + (s.weights() == 1 ? " weight tensor (" : " weight tensors (")
        + bytes(s.weightBytes()) + ")");
    out.println("  compiled for " + String.join(", ", m.inputs().stream()
        .map(t -> t.name() + ": " + t.concreteType()).toList()) + " -> " + String.join(", ",
        m.outputs().stream().map(t -> t.name() + ": " + t.concreteType()).toList()));
    if (javaSource != null) {
      out.println("  generated source written to " + javaSource);
    }
    out.println("  Kiln " + m.kilnVersion() + ", " + m.codegenVersion() + ", JDK " + m.javaVersion()
        + (m.usesVectorApi() ? ", Vector API" : ""));
    out.flush();
    return 0;
  }

  /** A file to write must be in an existing directory: else a message naming it ({@code what} before it). */
  private static void requireDirectoryOf(Path file, String what) {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new UserException("cannot write " + what + file + ": no such directory " + parent);
    }
  }

  /** {@code --input-shape NAME=D0,D1,...} options by input name. */
  static Map<String, long[]> parseShapes(List<String> inputShapes) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (String spec : inputShapes) {
      int eq = spec.indexOf('=');
      if (eq <= 0) {
        throw new UserException("--input-shape takes NAME=D0,D1,... (e.g. x=1,3,224,224), got '"
            + spec + "'");
      }
      String name = spec.substring(0, eq);
      String dimsText = spec.substring(eq + 1).strip();
      long[] shape;
      try {
        shape = dimsText.isEmpty() ? new long[0] : java.util.Arrays.stream(dimsText.split(",", -1))
            .map(String::strip).mapToLong(Long::parseLong).toArray();
      } catch (NumberFormatException e) {
        throw new UserException("--input-shape " + name + ": '" + dimsText
            + "' is not a list of sizes such as 1,3,224,224");
      }
      if (shapes.put(name, shape) != null) {
        throw new UserException("--input-shape " + name + " is given twice");
      }
    }
    return shapes;
  }

  private static String bytes(long n) {
    if (n < 1024) {
      return n + " bytes";
    }
    return n < 1024 * 1024 ? String.format(Locale.ROOT, "%.1f KiB", n / 1024.0)
        : String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
  }
}
