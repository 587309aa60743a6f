package dev.kiln.codegen.emit;

import com.google.common.collect.ImmutableList;
import dev.kiln.runtime.compiled.FrameLayout;

/**
 * One generated compilation unit: a class implementing
 * {@link dev.kiln.runtime.compiled.CompiledProgram}.
 *
 * @param className fully qualified
 * @param source the Java source, deterministic for a given program, layout and options
 * @param layout the frame slots the class reads its buffers from
 * @param notes why some loops did not get the code their kind asked for (e.g. a vectorized loop
 *     kept scalar), one line each, naming the kernel
 */
public record EmittedProgram(
    String className, String source, FrameLayout layout, ImmutableList<String> notes) {
  public EmittedProgram {
    notes = ImmutableList.copyOf(notes);
  }
}
