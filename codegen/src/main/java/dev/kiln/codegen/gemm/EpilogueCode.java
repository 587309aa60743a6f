package dev.kiln.codegen.gemm;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.ir.loop.Local;
import java.util.Map;
import java.util.Optional;

/** How the emitter writes a matmul's epilogue expression as Java, for the generated GEMM. */
public interface EpilogueCode {
  /** The epilogue as a {@code float} expression, the accumulator and addends named by {@code names}. */
  CodeBlock scalar(Map<Local, String> names);

  /**
   * The epilogue as a {@code FloatVector} expression on {@code species} (a field of the generated
   * class), the locals in {@code names} being vectors; empty when it has no vector form.
   */
  Optional<CodeBlock> vector(Map<Local, String> names, String species);

  /**
   * The vector operations the epilogue computes per accumulator ({@code Exprs.operations}): a
   * generator that writes it out once per register of a microkernel weighs this against what the
   * JIT compiles well (C1 gives up on methods of too many virtual registers).
   */
  int operations();
}
