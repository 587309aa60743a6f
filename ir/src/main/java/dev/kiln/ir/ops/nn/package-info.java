/**
 * Convolution, pooling, softmax and normalization operators. Every windowed operator (Conv,
 * MaxPool, AveragePool) takes its geometry from {@code SlidingWindow}, so output sizes, SAME
 * padding and ceil mode are computed in one place, for symbolic shapes at inference and concrete
 * ones at evaluation.
 */
package dev.kiln.ir.ops.nn;
