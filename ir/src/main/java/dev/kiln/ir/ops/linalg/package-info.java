/**
 * Matrix products: {@code MatMul} (NumPy matmul with broadcast batch dims) and {@code Gemm}. Both
 * accumulate floating types in double and integer types exactly in long.
 */
package dev.kiln.ir.ops.linalg;
