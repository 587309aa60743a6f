package dev.kiln.runtime.compiled;

/**
 * A loop program turned into Java: the interface every generated class implements. The code
 * generator emits one class per program; its kernels read and write only the arrays of the
 * {@link Frame} it is given. Instances are stateless, so one may run on many frames at once.
 */
public interface CompiledProgram {
  /** Runs every kernel in order on {@code frame}'s buffers. */
  void run(Frame frame);
}
