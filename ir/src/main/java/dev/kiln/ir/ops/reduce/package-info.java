/**
 * Reductions over axes: the {@code Reduce*} operators, one schema class parameterized by a
 * {@code Reducer}, and the index reductions {@code ArgMax} and {@code ArgMin}. Axes come from the
 * attribute or from input 1, whichever the opset uses.
 */
package dev.kiln.ir.ops.reduce;
