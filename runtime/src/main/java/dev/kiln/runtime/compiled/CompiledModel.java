package dev.kiln.runtime.compiled;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.interpreter.DimBindings;
import dev.kiln.runtime.interpreter.RunException;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A model run by compiled code. Inputs are checked as the reference interpreter checks them
 * (every problem at once, as a {@link RunException}); then the program specialized to the
 * concrete input shapes runs, compiled on the first run with those shapes and cached after that
 * (symbolic dims such as a batch {@code N} get one compiled program per size seen).
 *
 * <p>Some inputs decide shapes by their values (a Reshape's {@code shape} fed as a graph input):
 * for those, the program is specialized to the values as well, and cached per (shapes, values).
 * Such an input may have at most {@link #MAX_SPECIALIZED_ELEMENTS} elements.
 *
 * <p>Immutable and thread-safe: many threads may run at once; each run takes its scratch arena
 * from the program's pool, and threads asking for a shape signature being compiled wait for
 * that one compile.
 */
public final class CompiledModel {
  /**
   * The most elements an input whose values are compiled in may have: such inputs are shapes,
   * axes, pads and sizes (a few elements each); a larger one would make a program per data set.
   */
  public static final int MAX_SPECIALIZED_ELEMENTS = 64;

  /**
   * How many specialized programs a model keeps by default. A service fed every batch size or
   * sequence length would otherwise keep one program (code, packed weights, arenas) per size
   * forever; past this many, the least recently run one is dropped and compiled again if it comes
   * back (the kernel cache usually makes that a class load, not a javac run).
   */
  public static final int DEFAULT_MAX_PROGRAMS = 32;

  /**
   * Makes the program for one set of concrete input shapes (graph input name to shape) and the
   * values of the inputs it specializes on.
   */
  @FunctionalInterface
  public interface Specializer {
    /**
     * @param inputValues the values of the inputs named by the model's {@code specializedOn}
     * @throws RunException when the model cannot run with these shapes (the user's problem)
     */
    ExecutableProgram specialize(Map<String, long[]> inputShapes, Map<String, Tensor> inputValues);
  }

  private final ImmutableList<Value> inputs;
  private final ImmutableList<Value> outputs;
  private final ImmutableMap<String, String> specializedOn;
  private final Specializer specializer;
  private final ParallelExecutor executor;
  private final int maxPrograms;
  /** Signature to program, least recently run first; guarded by itself. */
  private final LinkedHashMap<String, CompletableFuture<ExecutableProgram>> programs =
      new LinkedHashMap<>(16, 0.75f, true);
  private long evictions;

  /** The input shapes (in input order) of the last program run, and that program. */
  private record LastProgram(long[][] shapes, ExecutableProgram program) {}

  private volatile LastProgram last;

  /**
   * @param specializedOn the inputs whose values the code is specialized to, each with why (for
   *     messages, e.g. {@code input 1 of Reshape node 'r' reads it at compile time})
   */
  public CompiledModel(List<Value> inputs, List<Value> outputs, Map<String, String> specializedOn,
      Specializer specializer, ParallelExecutor executor) {
    this(inputs, outputs, specializedOn, specializer, executor, DEFAULT_MAX_PROGRAMS);
  }

  /**
   * @param maxPrograms how many specialized programs to keep (least recently run dropped first)
   */
  public CompiledModel(List<Value> inputs, List<Value> outputs, Map<String, String> specializedOn,
      Specializer specializer, ParallelExecutor executor, int maxPrograms) {
    com.google.common.base.Preconditions.checkArgument(maxPrograms > 0,
        "a compiled model keeps at least one program, got %s", maxPrograms);
    this.maxPrograms = maxPrograms;
    this.inputs = ImmutableList.copyOf(inputs);
    this.outputs = ImmutableList.copyOf(outputs);
    this.specializedOn = ImmutableMap.copyOf(specializedOn);
    this.specializer = specializer;
    this.executor = executor;
  }

  /** A model whose code depends on its input shapes only. */
  public CompiledModel(List<Value> inputs, List<Value> outputs, Specializer specializer,
      ParallelExecutor executor) {
    this(inputs, outputs, Map.of(), specializer, executor);
  }

  /** The inputs whose values the code is specialized to, each with why. */
  public ImmutableMap<String, String> specializedOn() {
    return specializedOn;
  }

  /** Signatures (input shapes, and the values of {@link #specializedOn}) compiled and kept. */
  public int specializations() {
    synchronized (programs) {
      return programs.size();
    }
  }

  /** How many programs were dropped to stay within the limit (see {@link #DEFAULT_MAX_PROGRAMS}). */
  public long evictions() {
    synchronized (programs) {
      return evictions;
    }
  }

  public ParallelExecutor executor() {
    return executor;
  }

  /**
   * Runs on named inputs; returns the outputs by name in the model's order.
   *
   * @throws RunException when an input is missing, unknown, or of the wrong type or shape
   */
  public Map<String, Tensor> run(Map<String, Tensor> given) {
    DimBindings bindings = new DimBindings();
    ExecutableProgram program = programFor(given, bindings);
    List<Tensor> results = new ArrayList<>(program.run(byBuffer(program, given), executor).values());
    Map<String, Tensor> named = new LinkedHashMap<>();
    for (int i = 0; i < outputs.size(); i++) {
      Value out = outputs.get(i);
      Tensor t = results.get(i);
      Optional<String> misfit = bindings.match("%" + out.name(), out.type(), t);
      if (misfit.isPresent()) {
        throw new RunException("graph output %" + out.name() + " " + misfit.get());
      }
      named.put(out.name(), t);
    }
    return named;
  }

  /**
   * Runs on named inputs and writes each output into the caller's segment, named by output
   * ({@link ExecutableProgram#runInto}: nothing is allocated per run, and a segment over a
   * {@code float[]} of exactly an f32 output's size is written by the kernels themselves). The
   * outputs' shapes follow from the inputs' (the same as {@link #run} returns); on a failed run
   * the destinations' contents are unspecified.
   *
   * @throws RunException when an input is wrong (as {@link #run}), or a destination is missing,
   *     unknown, of another size than its output, read-only, or overlaps another (every problem
   *     at once)
   */
  public void runInto(Map<String, Tensor> given, Map<String, java.lang.foreign.MemorySegment> into) {
    DimBindings bindings = new DimBindings();
    ExecutableProgram program = programFor(given, bindings);
    List<String> names = outputs.stream().map(Value::name).toList();
    List<java.lang.foreign.MemorySegment> destinations = OutputDestinations.inOrder(into, names);
    program.checkDestinations(destinations, names);
    program.runInto(byBuffer(program, given), executor, destinations);
  }

  /** The program for these inputs (checked first), compiled on the first run with their shapes. */
  private ExecutableProgram programFor(Map<String, Tensor> given, DimBindings bindings) {
    checkInputs(given, bindings);
    Map<String, Tensor> values = new LinkedHashMap<>();
    specializedOn.keySet().forEach(name -> values.put(name, given.get(name)));
    checkSpecializedSizes(values);
    ExecutableProgram program = lastProgram(given);
    if (program == null) {
      Map<String, long[]> shapes = new LinkedHashMap<>();
      StringBuilder signature = new StringBuilder();
      for (Value v : inputs) {
        Tensor t = given.get(v.name());
        shapes.put(v.name(), t.shape());
        signature.append(Arrays.toString(t.shape()));
        if (values.containsKey(v.name())) {
          // The exact bytes: two values share a program only when they are bit for bit the same.
          signature.append('=').append(
              HexFormat.of().formatHex(t.data().toArray(ValueLayout.JAVA_BYTE)));
        }
        signature.append(';');
      }
      program = program(signature.toString(), shapes, values);
      if (specializedOn.isEmpty()) {
        last = new LastProgram(shapes.values().toArray(long[][]::new), program);
      }
    }
    return program;
  }

  private Map<String, Tensor> byBuffer(ExecutableProgram program, Map<String, Tensor> given) {
    List<Buffer> programInputs = program.inputBuffers();
    Map<String, Tensor> byBuffer = new HashMap<>();
    for (int i = 0; i < inputs.size(); i++) {
      byBuffer.put(programInputs.get(i).name(), given.get(inputs.get(i).name()));
    }
    return byBuffer;
  }

  /**
   * The program of the previous run when the inputs have its shapes (and no values are compiled
   * in): a run with unchanged shapes needs no signature string and no map lookup. That program
   * is also the most recently run one in the eviction order, so skipping the lookup (which would
   * refresh it) changes nothing there.
   */
  private ExecutableProgram lastProgram(Map<String, Tensor> given) {
    LastProgram l = last;
    if (l == null) {
      return null;
    }
    for (int i = 0; i < inputs.size(); i++) {
      if (!Arrays.equals(l.shapes()[i], given.get(inputs.get(i).name()).shape())) {
        return null;
      }
    }
    return l.program();
  }

  /**
   * Drops the least recently run finished programs beyond the limit. Programs still compiling
   * stay (other threads wait on them); runs holding a dropped program finish with it.
   */
  private void evictBeyondLimit() {
    var it = programs.values().iterator();
    while (programs.size() > maxPrograms && it.hasNext()) {
      if (it.next().isDone()) {
        it.remove();
        evictions++;
      }
    }
  }

  /** An input whose values are compiled in must be small: say which, why, and what to do. */
  private void checkSpecializedSizes(Map<String, Tensor> values) {
    List<String> problems = new ArrayList<>();
    values.forEach((name, t) -> {
      if (t.size() > MAX_SPECIALIZED_ELEMENTS) {
        problems.add("input %" + name + " has " + t.size() + " elements, but its values decide "
            + "shapes (" + specializedOn.get(name) + "), so the compiled engine compiles code for "
            + "its values, which it does for inputs of at most " + MAX_SPECIALIZED_ELEMENTS
            + " elements; make it a constant of the model, or run with the interpreter engine");
      }
    });
    if (!problems.isEmpty()) {
      throw new RunException(problems);
    }
  }

  private ExecutableProgram program(String signature, Map<String, long[]> shapes,
      Map<String, Tensor> values) {
    CompletableFuture<ExecutableProgram> mine = new CompletableFuture<>();
    CompletableFuture<ExecutableProgram> existing;
    synchronized (programs) {
      existing = programs.putIfAbsent(signature, mine);
      if (existing == null) {
        evictBeyondLimit();
      }
    }
    if (existing == null) {
      try {
        mine.complete(specializer.specialize(shapes, values));
      } catch (RuntimeException | Error e) {
        // A failed specialization is not cached: the next run with these shapes tries again.
        synchronized (programs) {
          programs.remove(signature, mine);
        }
        mine.completeExceptionally(e);
        throw e;
      }
      existing = mine;
    }
    try {
      return existing.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  private void checkInputs(Map<String, Tensor> given, DimBindings bindings) {
    List<String> problems = new ArrayList<>();
    TreeSet<String> unknown = new TreeSet<>(given.keySet());
    inputs.forEach(v -> unknown.remove(v.name()));
    for (String name : unknown) {
      problems.add("unknown input %" + name + "; the graph's inputs are "
          + String.join(", ", inputs.stream().map(v -> "%" + v.name()).toList()));
    }
    for (Value v : inputs) {
      Tensor t = given.get(v.name());
      if (t == null) {
        problems.add("missing input %" + v.name() + " (" + v.type() + ")");
        continue;
      }
      bindings.match("%" + v.name(), v.type(), t).ifPresent(m -> problems.add("input %" + v.name() + " " + m));
    }
    if (!problems.isEmpty()) {
      throw new RunException(problems);
    }
  }
}
