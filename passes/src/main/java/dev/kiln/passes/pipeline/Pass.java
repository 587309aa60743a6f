package dev.kiln.passes.pipeline;

import dev.kiln.ir.loop.LoopProgram;
import java.util.function.UnaryOperator;

/**
 * One configured step of a pipeline, at any level: what {@link PassInfo#factory()} builds from
 * the options written in the pipeline. Graph passes implement {@link GraphPass} and are adapted
 * with {@link #of(GraphPass)}; lowering and loop passes implement this directly.
 */
@FunctionalInterface
public interface Pass {
  /**
   * The transformed IR, or {@code input} itself when nothing changed. The input is at the level
   * the pass's {@link PassInfo#input()} says; the result at its {@link PassInfo#output()}.
   */
  Ir run(Ir input, PassContext context);

  /** A graph-to-graph pass. */
  static Pass of(GraphPass pass) {
    return (input, context) -> {
      var graph = input.graph();
      var result = pass.run(graph, context);
      return result == graph ? input : Ir.of(result);
    };
  }

  /** A loop-to-loop pass that does not need the context. */
  static Pass onLoops(UnaryOperator<LoopProgram> pass) {
    return (input, context) -> {
      LoopProgram program = input.program();
      LoopProgram result = pass.apply(program);
      return result == program ? input : Ir.of(result);
    };
  }
}
