package dev.kiln.api;

import com.google.common.collect.ImmutableList;
import dev.kiln.frontend.kiln.KilnModel;
import dev.kiln.frontend.kiln.KilnText;
import dev.kiln.ir.graph.Constant;
import dev.kiln.ir.graph.Graph;
import dev.kiln.passes.pipeline.IrPrinter;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Graph IR as Kiln text for the pass manager: dumps elide constants of more than
 * {@link #ELIDE_ABOVE} elements; reproducers print everything, with the weights file as an
 * absolute path (so the reproducer loads from anywhere) and weights of a model without a weights
 * file (ONNX) inline.
 */
final class IrPrinters implements IrPrinter {
  /** Constants up to this many elements print in dumps. */
  static final long ELIDE_ABOVE = 16;

  private final Optional<String> weightsFile;
  private final Optional<String> absoluteWeightsFile;

  IrPrinters(KilnModel source, Optional<Path> baseDir) {
    this.weightsFile = source.weightsFile();
    this.absoluteWeightsFile = source.weightsFile().map(f -> baseDir.map(d -> d.resolve(f).toAbsolutePath().toString())
        .orElse(f));
  }

  @Override
  public String graph(Graph graph) {
    return KilnText.printForReading(new KilnModel(graph, weightsFile), ELIDE_ABOVE);
  }

  @Override
  public String reproducer(Graph graph) {
    Graph printable = graph;
    if (absoluteWeightsFile.isEmpty()) {
      printable = new Graph(graph.name(), graph.inputs(), graph.outputs(), graph.constants().stream()
          .map(c -> Constant.inline(c.value(), c.data())).collect(ImmutableList.toImmutableList()), graph.nodes());
    }
    return KilnText.print(new KilnModel(printable, absoluteWeightsFile));
  }
}
