package dev.kiln.passes.lower;

import dev.kiln.ir.loop.Stmt;

/**
 * How one operator becomes loop IR: the body of the kernel that computes one node, reading the
 * buffers of its inputs and writing those of its outputs. Implementations are stateless and live
 * with their operator family ({@code dev.kiln.passes.lower.elementwise}, {@code .linalg}, ...).
 * They may assume a verified node with static shapes ({@link GraphToLoops} runs after
 * {@code BindShapes}); their semantics must equal the operator's reference {@code evaluate}.
 */
@FunctionalInterface
public interface OpLowering {
  Stmt lower(LoweringContext ctx);
}
