/** Fusion at the loop level: kernels computed inside the kernels that read them. */
package dev.kiln.passes.fusion;
