/**
 * The blocked channel layout NCHWc: a logical NCHW tensor {@code [N, C, H, W]} stored as
 * {@code [N, ceil(C/b), H, W, b]}, element {@code (n, c, h, w)} at {@code [n, c / b, h, w, c % b]},
 * lanes past the last channel zero. {@code ReorderInput} and {@code ReorderOutput} change layout;
 * {@code NchwcConv} and the {@code Nchwc*Pool} operators compute in it, their reference semantics
 * being the NCHW operator's between a reorder out and a reorder in ({@link Blocked}). The
 * {@code assign-layout} pass makes them; the lowerings vectorize over the b lanes.
 */
package dev.kiln.ir.ops.layout;
