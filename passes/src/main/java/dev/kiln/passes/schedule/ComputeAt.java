package dev.kiln.passes.schedule;

import com.google.common.collect.ImmutableList;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.BufferRole;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.Kernel;
import dev.kiln.ir.loop.Local;
import dev.kiln.ir.loop.Stmt;
import dev.kiln.ir.loop.Var;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@link Schedule#computeAt}: moves an elementwise producer's computation to the points where a
 * consumer loop uses it. Each load {@code p[e0, .., en]} inside the loop becomes the producer's
 * stored expression with its loop variables replaced by {@code e0, .., en}: Halide's
 * {@code compute_at} at the innermost level, where each element is computed where it is needed
 * (recomputed when read twice). The consumer then no longer reads {@code p} inside the loop;
 * when it reads it nowhere else, {@code p} leaves its buffer list and the producer's inputs join
 * it. The producer kernel itself is not changed; dropping it once no kernel reads {@code p} is a
 * program-level decision.
 *
 * <p>Restricted to elementwise producers (one store of each element, computed from loads of
 * other buffers at any indices), which covers the activation, bias and broadcast kernels that
 * are worth fusing; a producer with a reduction loop or locals is refused.
 *
 * <p>Preconditions:
 * <ol>
 *   <li>{@code loop} names a loop of the consumer.
 *   <li>the producer stores into exactly one buffer {@code p}, a scratch buffer, and the consumer
 *       reads {@code p} inside {@code loop}.
 *   <li>the producer is elementwise: a nest of loops whose extents are the dims of {@code p}
 *       around one store {@code p[v0, .., vn] = value}, indexed by the loop variables in order.
 *   <li>the consumer does not write {@code p}.
 *   <li>{@code value} reads no local and no buffer the consumer writes, so computing it later
 *       gives the same result.
 * </ol>
 */
final class ComputeAt {
  private ComputeAt() {}

  interface Failure {
    ScheduleException of(ScheduleError kind, int precondition, String detail);
  }

  static Kernel apply(Kernel consumer, Kernel producer, Stmt.For loop, Failure fail) {
    Set<Buffer> produced = new LinkedHashSet<>();
    Loops.forEachStmt(producer.body(), s -> {
      if (s instanceof Stmt.Store st) {
        produced.add(st.buffer());
      }
      if (s instanceof Stmt.Matmul mm) {
        produced.add(mm.c().buffer());
      }
      if (s instanceof Stmt.BlockedConv cv) {
        produced.add(cv.y());
      }
    });
    if (produced.size() != 1 || produced.iterator().next().role() != BufferRole.SCRATCH) {
      throw fail.of(ScheduleError.PRODUCER_CONFLICT, 2, "producer " + producer.name()
          + " must store into exactly one scratch buffer, but stores into " + describe(produced));
    }
    Buffer p = produced.iterator().next();
    if (!Loops.buffers(loop.body()).contains(p)) {
      throw fail.of(ScheduleError.PRODUCER_CONFLICT, 2,
          "loop " + loop.var() + " does not read " + p + ", which producer " + producer.name() + " stores");
    }
    List<Var> vars = new ArrayList<>();
    Stmt s = producer.body();
    while (s instanceof Stmt.For f) {
      vars.add(f.var());
      if (vars.size() > p.rank() || f.extent() != p.dim(vars.size() - 1)) {
        throw notElementwise(fail, producer, p);
      }
      s = f.body();
    }
    if (!(s instanceof Stmt.Store store) || vars.size() != p.rank() || !store.indices().equals(vars)) {
      throw notElementwise(fail, producer, p);
    }
    Set<Buffer> consumerWrites = new LinkedHashSet<>();
    Loops.forEachStmt(consumer.body(), x -> {
      if (x instanceof Stmt.Store st) {
        consumerWrites.add(st.buffer());
      }
    });
    if (consumerWrites.contains(p)) {
      throw fail.of(ScheduleError.PRODUCER_CONFLICT, 4, "the consumer writes " + p);
    }
    Optional<Expr> conflict = firstConflict(store.value(), consumerWrites, p);
    if (conflict.isPresent()) {
      throw fail.of(ScheduleError.PRODUCER_CONFLICT, 5, "the producer's value " + store.value()
          + " reads " + conflict.get() + (conflict.get() instanceof Local ? "" : ", which the consumer writes"));
    }
    Stmt newLoop = Loops.mapExprs(loop, e -> Loops.rewrite(e, leaf -> {
      if (leaf instanceof Expr.Load l && l.buffer().equals(p)) {
        Map<Var, Expr> at = new HashMap<>();
        for (int d = 0; d < vars.size(); d++) {
          at.put(vars.get(d), l.indices().get(d));
        }
        return Loops.substitute(store.value(), at);
      }
      return leaf;
    }));
    Stmt body = Loops.replace(consumer.body(), loop.var().name(), f -> newLoop);
    Set<Buffer> used = Loops.buffers(body);
    List<Buffer> buffers = new ArrayList<>();
    for (Buffer b : consumer.buffers()) {
      if (!b.equals(p) || used.contains(p)) {
        buffers.add(b);
      }
    }
    for (Buffer b : used) {
      if (!buffers.contains(b)) {
        buffers.add(b);
      }
    }
    return new Kernel(consumer.name(), ImmutableList.copyOf(buffers), body, consumer.source());
  }

  private static ScheduleException notElementwise(Failure fail, Kernel producer, Buffer p) {
    return fail.of(ScheduleError.PRODUCER_NOT_ELEMENTWISE, 3, "producer " + producer.name()
        + " is not one loop per dim of " + p + " around a single store " + p + "[loop variables]");
  }

  private static Optional<Expr> firstConflict(Expr value, Set<Buffer> consumerWrites, Buffer p) {
    List<Expr> found = new ArrayList<>();
    Loops.forEachExpr(value, e -> {
      if (e instanceof Local || (e instanceof Expr.Load l
          && (consumerWrites.contains(l.buffer()) || l.buffer().equals(p)))) {
        found.add(e);
      }
    });
    return found.stream().findFirst();
  }

  private static String describe(Set<Buffer> buffers) {
    return buffers.isEmpty() ? "none" : buffers.stream()
        .map(b -> b.role().text() + " " + b).reduce((a, b) -> a + ", " + b).orElseThrow();
  }
}
