package dev.kiln.runtime.compiled;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.type.DType;
import dev.kiln.runtime.interpreter.DimBindings;
import dev.kiln.runtime.interpreter.RunException;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
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

  /**
   * The input shapes (in input order) of the last program run, and that program; {@code
   * outputsChecked}: a {@link #run} with these shapes found the outputs' shapes as declared.
   */
  private record LastProgram(long[][] shapes, ExecutableProgram program, boolean outputsChecked) {}

  /** The inputs' names and element types, in input order (for {@link #sameAsLast}). */
  private final String[] inputNames;
  private final DType[] inputTypes;

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
    this.inputNames = this.inputs.stream().map(Value::name).toArray(String[]::new);
    this.inputTypes = this.inputs.stream().map(v -> v.type().dtype()).toArray(DType[]::new);
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
    LastProgram l = last;
    Tensor[] ordered = sameAsLast(l, given);
    if (ordered != null && l.outputsChecked()) {
      return named(l.program().run(ordered, executor));
    }
    DimBindings bindings = new DimBindings();
    ExecutableProgram program = programFor(given, bindings);
    Tensor[] results = program.run(inOrder(given), executor);
    for (int i = 0; i < outputs.size(); i++) {
      Value out = outputs.get(i);
      Optional<String> misfit = bindings.match("%" + out.name(), out.type(), results[i]);
      if (misfit.isPresent()) {
        throw new RunException("graph output %" + out.name() + " " + misfit.get());
      }
    }
    if (specializedOn.isEmpty()) {
      last = new LastProgram(shapesOf(given), program, true);
    }
    return named(results);
  }

  private Map<String, Tensor> named(Tensor[] results) {
    Map<String, Tensor> named = new LinkedHashMap<>();
    for (int i = 0; i < results.length; i++) {
      named.put(outputs.get(i).name(), results[i]);
    }
    return named;
  }

  /**
   * The inputs in input order when they are exactly what the last run had (the same names, each
   * of its declared element type and the last run's shape), which the full checks passed then;
   * else null. What lets a run with unchanged shapes skip the checks' maps and strings: after a
   * large model's run they are cold, and rebuilding them cost tens of microseconds.
   */
  private Tensor[] sameAsLast(LastProgram l, Map<String, Tensor> given) {
    if (l == null || given.size() != inputNames.length) {
      return null;
    }
    Tensor[] ordered = new Tensor[inputNames.length];
    for (int i = 0; i < ordered.length; i++) {
      Tensor t = given.get(inputNames[i]);
      if (t == null || t.dtype() != inputTypes[i] || !sameShape(t, l.shapes()[i])) {
        return null;
      }
      ordered[i] = t;
    }
    return ordered;
  }

  private static boolean sameShape(Tensor t, long[] shape) {
    if (t.rank() != shape.length) {
      return false;
    }
    for (int d = 0; d < shape.length; d++) {
      if (t.dim(d) != shape[d]) {
        return false;
      }
    }
    return true;
  }

  private long[][] shapesOf(Map<String, Tensor> given) {
    long[][] shapes = new long[inputNames.length][];
    for (int i = 0; i < shapes.length; i++) {
      shapes[i] = given.get(inputNames[i]).shape();
    }
    return shapes;
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
    LastProgram l = last;
    Tensor[] ordered = sameAsLast(l, given);
    ExecutableProgram program;
    if (ordered != null) {
      program = l.program();
    } else {
      program = programFor(given, new DimBindings());
      ordered = inOrder(given);
      if (specializedOn.isEmpty()) {
        last = new LastProgram(shapesOf(given), program, false);
      }
    }
    List<String> names = outputs.stream().map(Value::name).toList();
    List<java.lang.foreign.MemorySegment> destinations = OutputDestinations.inOrder(into, names);
    program.checkDestinations(destinations, names);
    program.runInto(ordered, executor, destinations);
  }

  /** The program for these inputs (checked first), compiled on the first run with their shapes. */
  private ExecutableProgram programFor(Map<String, Tensor> given, DimBindings bindings) {
    checkInputs(given, bindings);
    Map<String, Tensor> values = new LinkedHashMap<>();
    specializedOn.keySet().forEach(name -> values.put(name, given.get(name)));
    checkSpecializedSizes(values);
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
    return program(signature.toString(), shapes, values);
  }

  /** The inputs in input order (as the program's input buffers). */
  private Tensor[] inOrder(Map<String, Tensor> given) {
    Tensor[] ordered = new Tensor[inputNames.length];
    for (int i = 0; i < ordered.length; i++) {
      ordered[i] = given.get(inputNames[i]);
    }
    return ordered;
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
