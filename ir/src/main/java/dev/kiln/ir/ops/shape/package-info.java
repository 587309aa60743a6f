/**
 * The shape and data-movement operators: reshaping views, transposes, concatenation and splits,
 * slicing and padding, gathers and scatters, and the small operators that compute shapes
 * ({@code Shape}, {@code Size}, {@code Range}, {@code Constant}, {@code ConstantOfShape}).
 *
 * <p>Two conventions hold for every operator here:
 *
 * <ul>
 *   <li>Shape inference is written once, over possibly symbolic {@link dev.kiln.ir.type.Dim}s and
 *       possibly known input values. The reference semantics run that same inference on their
 *       concrete inputs ({@code Layout.asInference}) to validate them and get the output shape, so
 *       the compile-time and run-time checks cannot disagree, and then only move elements.
 *   <li>Operators that only move data do it with {@link
 *       dev.kiln.ir.tensor.TensorWriter#copyElement}, bit-exact for every dtype, so they never
 *       round, convert or canonicalize NaNs. Only {@code Range} and the scatter reductions compute
 *       new values (in double or long, rounded to the dtype once).
 * </ul>
 *
 * <p>Inference resolves exported shape arithmetic ({@code Shape -> Gather -> Unsqueeze -> Concat
 * -> Reshape}) to static shapes because {@code Shape} folds when its input is static and every
 * operator on the chain evaluates when its inputs are known. A symbolic input shape is not a
 * known value, so such a chain then yields the right rank with unknown dims.
 */
package dev.kiln.ir.ops.shape;
