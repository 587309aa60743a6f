package dev.kiln.codegen.jit;

/**
 * The version of Kiln's code generator, part of every {@link CacheKey}.
 *
 * <p>Bump {@link #CURRENT} in every change that makes the generator emit different code for the
 * same input (a new lowering, a fixed kernel, a changed calling convention): cached kernels from
 * the old generator are then never loaded again, instead of silently running stale code.
 */
public final class CodegenVersion {
  /** Free-form; only equality matters. */
  public static final String CURRENT = "kiln-codegen-20";

  private CodegenVersion() {}
}
