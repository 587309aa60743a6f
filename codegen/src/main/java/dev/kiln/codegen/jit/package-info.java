/**
 * Run-time compilation of generated Java: the last step of Kiln's compile path (graph, loop IR,
 * Java source, classes).
 *
 * <ul>
 *   <li>{@link dev.kiln.codegen.jit.JitCompiler} is the entry point: a {@link
 *       dev.kiln.codegen.jit.CacheKey} and the sources of one unit in, loaded classes out.
 *   <li>{@link dev.kiln.codegen.jit.JavaSourceCompiler} runs javac in memory; a rejected unit is
 *       a {@link dev.kiln.codegen.jit.CodegenException} with positions and source excerpts.
 *   <li>{@link dev.kiln.codegen.jit.KernelCache} keeps compiled class files in memory and in a
 *       directory that processes may share.
 *   <li>{@link dev.kiln.codegen.jit.ModelClassLoader} gives every unit a loader of its own, so a
 *       dropped model's classes can be unloaded.
 * </ul>
 */
package dev.kiln.codegen.jit;
