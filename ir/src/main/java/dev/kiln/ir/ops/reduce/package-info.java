/**
 * Reductions over axes: the {@code Reduce*} operators, one schema class parameterized by a
 * {@code Reducer}, the index reductions {@code ArgMax} and {@code ArgMin}, and the running sum
 * {@code CumSum} (a reduction that keeps every partial result), and {@code TopK} (a
 * reduction to the K best). Axes come from the
 * attribute or from input 1, whichever the opset uses.
 */
package dev.kiln.ir.ops.reduce;
