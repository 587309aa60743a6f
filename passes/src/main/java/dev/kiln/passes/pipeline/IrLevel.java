package dev.kiln.passes.pipeline;

/** The levels a pipeline passes through: tensor operators, then loop nests over buffers. */
public enum IrLevel {
  /** {@link dev.kiln.ir.graph.Graph}: tensor operators, printed as Kiln text. */
  GRAPH("graph IR"),
  /** {@link dev.kiln.ir.loop.LoopProgram}: loop nests over buffers, printed by {@code LoopPrinter}. */
  LOOPS("loop IR");

  private final String description;

  IrLevel(String description) {
    this.description = description;
  }

  /** How messages name the level ("graph IR", "loop IR"). */
  public String description() {
    return description;
  }
}
