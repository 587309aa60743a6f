package dev.kiln.passes.schedule;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Exprs;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.LoopProgram;
import dev.kiln.ir.loop.Var;
import dev.kiln.ir.tensor.Tensor;
import dev.kiln.ir.tensor.TensorWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code pack(buffer, layout)}: re-lays out a constant buffer (pre-packing weights) and rewrites
 * every access to it in every kernel of the program; the constant's data is permuted to match,
 * so results are unchanged. Works on the whole program, since a constant may be read by several
 * kernels; it is therefore not a step of a kernel's {@link Trace}.
 */
public final class Pack {
  private Pack() {}

  /**
   * Packs constant {@code buffer} of {@code program} into {@code layout}. The buffer keeps its
   * name; its shape becomes the layout's.
   *
   * <p>Preconditions:
   * <ol>
   *   <li>the program has a buffer named {@code buffer}.
   *   <li>that buffer is a constant (its data is known, so it can be re-laid out ahead of time).
   *   <li>the layout fits the buffer: a panel axis is one of its dims and the width at least 1;
   *       a permutation lists each dim exactly once.
   * </ol>
   */
  public static LoopProgram pack(LoopProgram program, String buffer, Layout layout) {
    String call = "pack(" + TraceStep.name(buffer) + ", " + layout.text() + ") in program " + program.name();
    List<Buffer> all = new ArrayList<>(program.inputs());
    all.addAll(program.outputs());
    all.addAll(program.constants().keySet());
    all.addAll(program.scratch());
    Buffer old = all.stream().filter(b -> b.name().equals(buffer)).findFirst().orElseThrow(() ->
        new ScheduleException(ScheduleError.UNKNOWN_BUFFER, call + ": precondition 1: there is no buffer %"
            + buffer));
    if (old.role() != BufferRole.CONSTANT) {
      throw new ScheduleException(ScheduleError.NOT_CONSTANT, call + ": precondition 2: " + old + " is "
          + old.role().name().toLowerCase(java.util.Locale.ROOT) + ", not a constant");
    }
    Optional<String> misfit = layout.misfit(old.shape());
    if (misfit.isPresent()) {
      throw new ScheduleException(ScheduleError.BAD_LAYOUT, call + ": precondition 3: " + misfit.get()
          + " (" + old + " is " + old.shape() + ")");
    }
    Buffer packed = new Buffer(old.name(), old.dtype(), layout.shape(old.shape()), old.role(), old.origin());
    List<Kernel> kernels = new ArrayList<>();
    for (Kernel k : program.kernels()) {
      Map<Var, Long> extents = Loops.extents(k.body());
      var body = Loops.mapExprs(k.body(), e -> Loops.rewrite(e, leaf ->
          leaf instanceof Expr.Load l && l.buffer().equals(old)
              ? Exprs.load(packed, layout.indices(l.indices(), extents)) : leaf));
      ImmutableList<Buffer> buffers = k.buffers().stream().map(b -> b.equals(old) ? packed : b)
          .collect(ImmutableList.toImmutableList());
      kernels.add(new Kernel(k.name(), buffers, body, k.source()));
    }
    ImmutableMap.Builder<Buffer, Tensor> constants = ImmutableMap.builder();
    program.constants().forEach((b, t) -> constants.put(b.equals(old) ? packed : b,
        b.equals(old) ? relayout(t, old, packed, layout) : t));
    return new LoopProgram(program.name(), program.inputs(), program.outputs(), constants.build(),
        program.scratch(), ImmutableList.copyOf(kernels));
  }

  private static Tensor relayout(Tensor data, Buffer old, Buffer packed, Layout layout) {
    TensorWriter w = TensorWriter.of(old.dtype(), packed.shapeArray());
    long[] oldStrides = old.strides();
    long[] index = new long[packed.rank()];
    for (long flat = 0; flat < packed.size(); flat++) {
      long rest = flat;
      for (int d = packed.rank() - 1; d >= 0; d--) {
        index[d] = rest % packed.dim(d);
        rest /= packed.dim(d);
      }
      Optional<long[]> source = layout.source(index, old.shape());
      if (source.isPresent()) {
        long from = 0;
        for (int d = 0; d < oldStrides.length; d++) {
          from += source.get()[d] * oldStrides[d];
        }
        w.copyElement(data, from, flat);
      }
    }
    return w.build();
  }
}
