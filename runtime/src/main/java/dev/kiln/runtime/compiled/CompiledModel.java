package dev.kiln.runtime.compiled;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.graph.Value;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.runtime.interpreter.DimBindings;
import dev.kiln.runtime.interpreter.RunException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A model run by compiled code. Inputs are checked as the reference interpreter checks them
 * (every problem at once, as a {@link RunException}); then the program specialized to the
 * concrete input shapes runs, compiled on the first run with those shapes and cached after that
 * (symbolic dims such as a batch {@code N} get one compiled program per size seen).
 *
 * <p>Immutable and thread-safe: many threads may run at once; each run takes its scratch arena
 * from the program's pool, and threads asking for a shape signature being compiled wait for
 * that one compile.
 */
public final class CompiledModel {
  /** Makes the program for one set of concrete input shapes (graph input name to shape). */
  @FunctionalInterface
  public interface Specializer {
    /**
     * @throws RunException when the model cannot run with these shapes (the user's problem)
     */
    ExecutableProgram specialize(Map<String, long[]> inputShapes);
  }

  private final ImmutableList<Value> inputs;
  private final ImmutableList<Value> outputs;
  private final Specializer specializer;
  private final ParallelExecutor executor;
  private final ConcurrentHashMap<String, CompletableFuture<ExecutableProgram>> programs =
      new ConcurrentHashMap<>();

  public CompiledModel(List<Value> inputs, List<Value> outputs, Specializer specializer,
      ParallelExecutor executor) {
    this.inputs = ImmutableList.copyOf(inputs);
    this.outputs = ImmutableList.copyOf(outputs);
    this.specializer = specializer;
    this.executor = executor;
  }

  /** Shape signatures compiled so far. */
  public int specializations() {
    return programs.size();
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
    checkInputs(given, bindings);
    Map<String, long[]> shapes = new LinkedHashMap<>();
    StringBuilder signature = new StringBuilder();
    for (Value v : inputs) {
      long[] shape = given.get(v.name()).shape();
      shapes.put(v.name(), shape);
      signature.append(Arrays.toString(shape)).append(';');
    }
    ExecutableProgram program = program(signature.toString(), shapes);
    List<Buffer> programInputs = program.layout().slots().stream().map(FrameLayout.Slot::buffer)
        .filter(b -> b.role() == BufferRole.INPUT).toList();
    Map<String, Tensor> byBuffer = new HashMap<>();
    for (int i = 0; i < inputs.size(); i++) {
      byBuffer.put(programInputs.get(i).name(), given.get(inputs.get(i).name()));
    }
    List<Tensor> results = new ArrayList<>(program.run(byBuffer, executor).values());
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

  private ExecutableProgram program(String signature, Map<String, long[]> shapes) {
    CompletableFuture<ExecutableProgram> mine = new CompletableFuture<>();
    CompletableFuture<ExecutableProgram> existing = programs.putIfAbsent(signature, mine);
    if (existing == null) {
      try {
        mine.complete(specializer.specialize(shapes));
      } catch (RuntimeException | Error e) {
        // A failed specialization is not cached: the next run with these shapes tries again.
        programs.remove(signature, mine);
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
