/**
 * Kiln's compile stages as passes, so that a pipeline runs from graph IR to planned loop IR and
 * every instrument sees each stage: {@code bind-shapes}, {@code lower-graph-to-loops},
 * {@code schedule}, {@code plan-memory}.
 */
package dev.kiln.passes.pipeline.stages;
