package dev.kiln.codegen.compile;

import dev.kiln.codegen.conv.ConvGenerator;
import dev.kiln.codegen.emit.EmitOptions;
import dev.kiln.codegen.emit.EmittedProgram;
import dev.kiln.codegen.emit.JavaEmitter;
import dev.kiln.codegen.gemm.PackedWeights;
import dev.kiln.codegen.jit.CacheKey;
import dev.kiln.codegen.jit.CodegenException;
import dev.kiln.codegen.jit.CompiledUnit;
import dev.kiln.codegen.jit.JitCompiler;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.LoopPrinter;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.compiled.CompiledProgram;
import dev.kiln.runtime.compiled.ExecutableProgram;
import dev.kiln.runtime.compiled.FrameLayout;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Loop program to running code: emits the Java class ({@link JavaEmitter}), compiles it through
 * the {@link JitCompiler} (whose cache skips javac and even the emitter on a hit), instantiates
 * it and binds its constants. Thread-safe.
 *
 * <p>The cache key holds everything the emitted source depends on: the printed loop IR (shapes,
 * schedules, kernel order), the values of constants baked in as literals, the emit options, and
 * the float vector length of this JVM (the code is written for {@code SPECIES_PREFERRED}); the
 * JIT adds the code generator's and the JDK's versions itself.
 */
public final class ProgramCompiler {
  private final JitCompiler jit;
  private final EmitOptions options;

  public ProgramCompiler(JitCompiler jit, EmitOptions options) {
    this.jit = jit;
    this.options = options;
  }

  public JitCompiler jit() {
    return jit;
  }

  /**
   * The result of one compile: what runs, and how it was made.
   *
   * @param program the program the code runs: the input with constant GEMM weights packed
   *     ({@link PackedWeights}); its constants are the executable's (and an artifact's)
   */
  public record Result(ExecutableProgram executable, CompiledUnit unit, EmittedProgram emitted,
      LoopProgram program, java.util.function.Supplier<EmittedProgram> emitter) {
    /** The emitted source and notes; null when the class came from a cache (emitter not run). */
    public EmittedProgram emittedOrNull() {
      return emitted;
    }

    /**
     * The emitted source and notes, emitting them again when the class came from a cache (the
     * emitter is deterministic, so this is the source the class was compiled from).
     */
    public EmittedProgram emittedProgram() {
      return emitted != null ? emitted : emitter.get();
    }
  }

  /**
   * @throws CodegenException when javac rejects the generated source (a Kiln bug): the message
   *     shows the diagnostics with the generated source around them
   */
  public Result compile(LoopProgram input, FrameLayout inputLayout) {
    PackedWeights.Result packing = PackedWeights.pack(input, options.effectiveGemm());
    LoopProgram program = packing.program();
    FrameLayout layout = packing.packed().isEmpty() ? inputLayout : relayout(program, inputLayout);
    CacheKey key = key(program, packing.packed());
    AtomicReference<EmittedProgram> emitted = new AtomicReference<>();
    java.util.function.Supplier<EmittedProgram> emitter =
        () -> JavaEmitter.emit(program, layout, options, packing.packed());
    CompiledUnit unit = jit.compile(key, () -> {
      EmittedProgram e = emitter.get();
      emitted.set(e);
      return Map.of(e.className(), e.source());
    });
    CompiledProgram instance;
    try {
      instance = (CompiledProgram) unit.loadedClass(options.qualifiedClassName())
          .getConstructor().newInstance();
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new CodegenException("cannot instantiate generated class " + options.qualifiedClassName(), e);
    }
    java.util.Set<dev.kiln.ir.loop.Buffer> written = new java.util.HashSet<>();
    program.kernels().forEach(k -> written.addAll(k.writes()));
    return new Result(new ExecutableProgram(instance, layout, program.constants(),
        program.kernels().stream().map(k -> k.source()).toList(), written), unit, emitted.get(), program,
        emitter);
  }

  /** {@code layout}'s scratch places for {@code program}, whose constants changed. */
  private static FrameLayout relayout(LoopProgram program, FrameLayout layout) {
    Map<Buffer, Integer> offsets = new java.util.HashMap<>();
    for (FrameLayout.Slot s : layout.slots()) {
      if (s.buffer().role() == dev.kiln.ir.loop.BufferRole.SCRATCH) {
        offsets.put(s.buffer(), s.arenaOffset());
      }
    }
    return FrameLayout.of(program, offsets);
  }

  /** Floats per vector of the code emitted under {@code options}: 0 when it is scalar only. */
  public static int floatLanes(EmitOptions options) {
    return options.vectorize() ? VectorShape.floatLanes() : 0;
  }

  /** The cache key of {@code program} under these options (after packing its GEMM weights). */
  public CacheKey key(LoopProgram program) {
    PackedWeights.Result packing = PackedWeights.pack(program, options.effectiveGemm());
    return key(packing.program(), packing.packed());
  }

  private CacheKey key(LoopProgram program, java.util.Set<Buffer> packed) {
    StringBuilder literals = new StringBuilder();
    for (Map.Entry<Buffer, Tensor> c : program.constants().entrySet()) {
      if (c.getKey().size() == 1) {
        literals.append(c.getKey().name().length()).append(':').append(c.getKey().name())
            .append('=').append(c.getValue()).append('\n');
      }
    }
    return CacheKey.builder()
        .part("ir", LoopPrinter.print(program))
        .part("literals", literals.toString())
        .part("options", options.toString())
        .part("vector.float.lanes", floatLanes(options))
        .part("conv", ConvGenerator.cacheKeyPart())
        .part("gemm", dev.kiln.codegen.gemm.GemmGenerator.cacheKeyPart())
        .part("packed", packed.stream().map(b -> b.name().length() + ":" + b.name()).sorted()
            .collect(java.util.stream.Collectors.joining(",")))
        .build();
  }
}
