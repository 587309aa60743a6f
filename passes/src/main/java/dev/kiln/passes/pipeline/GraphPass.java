package dev.kiln.passes.pipeline;

import dev.kiln.ir.graph.Graph;

/**
 * A transformation of a whole graph: the unit the pass manager runs, prints around and times.
 *
 * <p>A pass is a pure function of its input graph (and its own options, fixed when it is built):
 * it never mutates, it returns the same instance when it changes nothing (so that
 * {@code --print-ir-after-change} can tell), and its result must verify. Why a pattern did not apply
 * goes to {@link PassContext#remark}, which costs nothing unless explanations were asked for.
 */
@FunctionalInterface
public interface GraphPass {
  /** The rewritten graph, or {@code graph} itself when nothing changed. */
  Graph run(Graph graph, PassContext context);
}
