/** Graph-to-graph passes (optimizations of the graph IR), each a {@link dev.kiln.passes.pipeline.GraphPass}. */
package dev.kiln.passes.graph;
