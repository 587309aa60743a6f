/**
 * The pass pipeline over the graph IR: the {@link dev.kiln.passes.pipeline.GraphPass} contract
 * that every graph pass implements, and what runs them.
 */
package dev.kiln.passes.pipeline;
