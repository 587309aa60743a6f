package dev.kiln.bench;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/** Prints benchmark results: one model in detail, or many as one markdown table. */
final class BenchReport {
  private BenchReport() {}

  static void printSettings(PrintWriter out, BenchSettings s) {
    out.printf(Locale.ROOT, "threads %d (ONNX Runtime: intra-op %d, inter-op 1, sequential, "
        + "optimization ALL), %s + %d timed runs each, Kiln engine %s -O%d%n",
        s.threads(), s.threads(), warmUpRule(s), s.runs(),
        s.engine().name().toLowerCase(Locale.ROOT), s.optimizationLevel());
  }

  /** How each engine warms up, e.g. {@code warm-up until the timings settle (...)}. */
  static String warmUpRule(BenchSettings s) {
    if (s.fixedWarmUp()) {
      return String.format(Locale.ROOT, "a fixed warm-up of %s s (at least %d runs unless the time is up first)",
          seconds(s.warmupSeconds()), s.warmup());
    }
    return String.format(Locale.ROOT, "warm-up until the timings settle (at least %d runs and %s s, at most %s s)",
        s.warmup(), seconds(s.warmupSeconds()), seconds(s.maxWarmupSeconds()));
  }

  /**
   * The interleaved timing's blocks: how many, and Kiln / ONNX Runtime per block (the median, the
   * range and each block's, in order), or why there are none.
   */
  static void printBlockRatios(PrintWriter out, List<Double> ratios, int blocks, BenchResult r) {
    int runs = r.settings().runs();
    if (ratios.isEmpty()) {
      out.printf(Locale.ROOT, "interleaved: not timed in blocks (an engine did not run)%n");
      return;
    }
    List<Double> sorted = ratios.stream().sorted().toList();
    double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
        : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
    out.printf(Locale.ROOT, "interleaved: %d blocks of %d runs per engine (Kiln's, then ONNX Runtime's; "
        + "%d timed runs each); Kiln / ONNX Runtime per block: median %s, %s to %s%n",
        blocks, runs, (long) blocks * runs, ratio(median), ratio(sorted.getFirst()), ratio(sorted.getLast()));
    out.println("  per block: " + String.join(" ", ratios.stream().map(BenchReport::ratio).toList()));
    double blockMillis = runs * r.kiln().latency().map(LatencyStats::medianMillis).orElse(0.0);
    if (r.settings().threads() > 1 && blockMillis < SHORT_BLOCK_MILLIS) {
      out.printf(Locale.ROOT, "interleaved: note: Kiln's blocks last about %s ms; on several threads "
          + "the first runs after each pause (workers parked, caches cold) then weigh on the "
          + "medians: give more --runs for blocks of %d ms or more%n", millis(blockMillis),
          (long) SHORT_BLOCK_MILLIS);
    }
  }

  /**
   * Blocks shorter than this on several threads are dominated by their first runs after the
   * pause: MLP batch 64 on 2 threads in blocks of 30 runs (9 ms) gave Kiln / ONNX Runtime 1.48,
   * in blocks of 300 runs 0.94 and 0.96, as one after the other (session 12).
   */
  static final double SHORT_BLOCK_MILLIS = 50;

  /** An engine's warm-up: {@code 12.3 s, 830 runs, settled}; empty when it did not run. */
  static String warmUpCell(EngineResult e, BenchSettings s) {
    return e.timed().map(t -> String.format(Locale.ROOT, "%.1f s, %d runs, %s", t.warmUp().nanos() / 1e9,
        t.warmUp().runs(), outcome(t, s).equals("NOT settled") ? "NOT settled (cap)" : outcome(t, s)))
        .orElse("");
  }

  /** How a warm-up ended: {@code fixed}, {@code settled} or {@code NOT settled}. */
  private static String outcome(TimedRuns t, BenchSettings s) {
    return s.fixedWarmUp() ? "fixed" : t.warmUp().settled() ? "settled" : "NOT settled";
  }

  /** How long the JIT compiled during an engine's timed runs, in ms; {@code n/a} when unknown. */
  static String jitCell(EngineResult e) {
    return e.timed().map(t -> t.compileMillis() < 0 ? "n/a" : String.valueOf(t.compileMillis())).orElse("");
  }

  /** For a table of many models: {@code 12.3 s settled, JIT 0 ms}. */
  private static String shortWarmUpCell(EngineResult e, BenchSettings s) {
    return e.timed().map(t -> String.format(Locale.ROOT, "%.1f s %s, JIT %s ms", t.warmUp().nanos() / 1e9,
        outcome(t, s), jitCell(e))).orElse("");
  }

  /**
   * A line for each engine whose figures may not be steady-state: its warm-up reached the cap
   * before the timings settled, or the JIT compiled for more than 1 % of its timed runs.
   */
  static void printUnsteady(PrintWriter out, BenchResult r) {
    for (EngineResult e : List.of(r.kiln(), r.ort())) {
      if (e.timed().isEmpty() || !e.timed().get().unsteady(r.settings().fixedWarmUp())) {
        continue;
      }
      TimedRuns t = e.timed().get();
      List<String> why = new java.util.ArrayList<>();
      if (!r.settings().fixedWarmUp() && !t.warmUp().settled()) {
        why.add("its warm-up reached the " + seconds(r.settings().maxWarmupSeconds())
            + " s cap before its timings settled");
      }
      if (t.jitBusy()) {
        why.add(String.format(Locale.ROOT, "the JIT compiled for %d ms during its %d timed runs (%s ms of runs)",
            t.compileMillis(), t.latency().runs(), millis(t.latency().runs() * t.latency().medianMillis())));
      }
      out.println(e.engine() + ": NOT steady-state: " + String.join("; ", why));
    }
  }

  static void printPeak(PrintWriter out, FmaPeak peak) {
    out.printf(Locale.ROOT, "fp32 peak (Vector API fma, %d-bit, registers only): 1 thread %.1f GFLOP/s%s%n",
        peak.vectorBits(), peak.gflopsOneThread(), peak.threads() == 1 ? ""
            : String.format(Locale.ROOT, "; %d threads measured together %.1f GFLOP/s, %% of peak is of "
                + "%d x the 1-thread peak = %.1f", peak.threads(), peak.gflopsAllThreads(), peak.threads(),
                peak.peakGflops()));
  }

  /** One model in detail: agreement, then a table of the two engines, then the ratio. */
  static void printOne(PrintWriter out, BenchResult r, Optional<FmaPeak> peak) {
    out.printf(Locale.ROOT, "model %s, input %s%n", r.model(), r.inputSource());
    if (r.agreementProblem().isPresent()) {
      out.println("outputs: " + r.agreementProblem().get());
    }
    for (Agreement a : r.agreements()) {
      out.printf(Locale.ROOT, "output '%s': max abs error %.3g = %.3g of max |value| %.4g, cosine %.7f: %s%n",
          a.output(), a.maxAbsError(), a.relativeError(), a.maxAbsReference(), a.cosine(),
          a.agrees(r.settings().tolerance()) ? "agree"
              : "DISAGREE (tolerance " + r.settings().tolerance() + ")");
    }
    boolean single = r.flops().isPresent();
    List<String> header = new java.util.ArrayList<>(List.of("engine", "median ms", "p10 ms", "p90 ms",
        "first run ms", "warm-up", "JIT ms while timed"));
    if (single) {
      header.addAll(List.of("GFLOP/s", "% of peak"));
    }
    MarkdownTable table = new MarkdownTable(header);
    for (EngineResult e : List.of(r.kiln(), r.ort())) {
      if (e.failure().isPresent()) {
        List<String> row = new java.util.ArrayList<>(List.of(e.engine(), "failed", "", "", "", "", ""));
        if (single) {
          row.addAll(List.of("", ""));
        }
        table.addRow(row);
        continue;
      }
      LatencyStats l = e.latency().orElseThrow();
      List<String> row = new java.util.ArrayList<>(List.of(e.engine(), millis(l.medianMillis()),
          millis(l.p10Millis()), millis(l.p90Millis()), millis(e.firstRunMillis()),
          warmUpCell(e, r.settings()), jitCell(e)));
      if (single) {
        double gflops = BenchResult.gflops(r.flops(), e).orElseThrow();
        row.add(String.format(Locale.ROOT, "%.1f", gflops));
        row.add(peak.map(p -> percent(gflops / p.peakGflops())).orElse(""));
      }
      table.addRow(row);
    }
    out.print(table.render());
    for (EngineResult e : List.of(r.kiln(), r.ort())) {
      e.failure().ifPresent(f -> out.println(e.engine() + ": " + f));
    }
    printUnsteady(out, r);
    r.ratio().ifPresent(x -> out.println("Kiln / ONNX Runtime (median latency): " + ratio(x)));
  }

  /** Many models, one row each. */
  static MarkdownTable table(List<BenchResult> results, Optional<FmaPeak> peak) {
    MarkdownTable table = new MarkdownTable("model", "Kiln median ms", "ORT median ms", "Kiln/ORT",
        "Kiln GFLOP/s (% peak)", "ORT GFLOP/s (% peak)", "max rel. error", "Kiln warm-up",
        "ORT warm-up", "note");
    for (BenchResult r : results) {
      OptionalDouble error = r.worstRelativeError();
      table.addRow(r.model(), median(r.kiln()), median(r.ort()),
          r.ratio().isPresent() ? ratio(r.ratio().getAsDouble()) : "",
          gflopsCell(r, r.kiln(), peak), gflopsCell(r, r.ort(), peak),
          error.isPresent() ? String.format(Locale.ROOT, "%.1e", error.getAsDouble()) : "",
          shortWarmUpCell(r.kiln(), r.settings()), shortWarmUpCell(r.ort(), r.settings()), note(r));
    }
    return table;
  }

  private static String note(BenchResult r) {
    List<String> notes = new java.util.ArrayList<>();
    r.kiln().failure().ifPresent(f -> notes.add((f.startsWith("cannot load: ") ? "skipped: Kiln " : "Kiln ")
        + firstLine(f)));
    r.ort().failure().ifPresent(f -> notes.add("ORT " + firstLine(f)));
    if (r.kiln().succeeded() && r.ort().succeeded() && !r.outputsAgree()) {
      notes.add(r.agreementProblem().orElse("outputs DISAGREE"));
    }
    return String.join("; ", notes);
  }

  /** The first line of a message, shortened for a table cell. */
  static String firstLine(String message) {
    String line = message.lines().findFirst().orElse("");
    return line.length() <= 120 ? line : line.substring(0, 117) + "...";
  }

  private static String median(EngineResult e) {
    return e.latency().map(l -> millis(l.medianMillis())).orElse("failed");
  }

  private static String gflopsCell(BenchResult r, EngineResult e, Optional<FmaPeak> peak) {
    OptionalDouble g = BenchResult.gflops(r.flops(), e);
    if (g.isEmpty()) {
      return "";
    }
    return String.format(Locale.ROOT, "%.1f", g.getAsDouble())
        + peak.map(p -> " (" + percent(g.getAsDouble() / p.peakGflops()) + ")").orElse("");
  }

  /** Three significant digits or so, at any scale. */
  static String millis(double ms) {
    if (Double.isNaN(ms)) {
      return "";
    }
    if (ms < 1) {
      return String.format(Locale.ROOT, "%.3f", ms);
    }
    return String.format(Locale.ROOT, ms < 100 ? "%.2f" : "%.0f", ms);
  }

  /** Two decimals below 10, one above: 0.95, 7.74, 106.7. */
  static String ratio(double x) {
    return String.format(Locale.ROOT, x < 10 ? "%.2f" : "%.1f", x);
  }

  static String seconds(double s) {
    return new java.math.BigDecimal(Double.toString(s)).stripTrailingZeros().toPlainString();
  }

  static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.0f %%", 100 * fraction);
  }

  /**
   * {@code --profile}: the {@code top} kernels that took the most time, each with its share of
   * the time of all kernels, and the total.
   */
  static void printProfile(PrintWriter out, List<dev.kiln.runtime.compiled.KernelProfiler.KernelTime> times,
      int top) {
    printProfile(out, times, top, Double.NaN, null);
  }

  /**
   * As above, with the whole profiled runs' wall clock (what the kernels leave is spent outside
   * them: input copies, output allocation, checks) and what became of the parallel loops.
   */
  static void printProfile(PrintWriter out, List<dev.kiln.runtime.compiled.KernelProfiler.KernelTime> times,
      int top, double runMillis, dev.kiln.runtime.compiled.KernelProfiler.LoopCounts loops) {
    if (times.isEmpty()) {
      out.println("profile: no compiled kernel ran (the interpreter engine, or Kiln failed)");
      return;
    }
    long total = times.stream().mapToLong(t -> t.nanos()).sum();
    long runs = times.getFirst().runs();
    out.printf(Locale.ROOT, "profile: %d kernels, %s ms per run in kernels (%s, %d runs); the top %d:%n",
        times.size(), millis(total / 1e6 / Math.max(1, runs)),
        dev.kiln.runtime.compiled.KernelProfiler.clock(), runs, Math.min(top, times.size()));
    MarkdownTable table = new MarkdownTable(List.of("share", "ms per run", "kernel", "computes"));
    for (var t : times.subList(0, Math.min(top, times.size()))) {
      table.addRow(List.of(String.format(Locale.ROOT, "%.1f %%", 100.0 * t.nanos() / Math.max(1, total)),
          millis(t.millisPerRun()), String.valueOf(t.index()), t.source()));
    }
    out.print(table.render());
    double kernelMillis = total / 1e6 / Math.max(1, runs);
    if (!Double.isNaN(runMillis) && dev.kiln.runtime.compiled.KernelProfiler.clock().equals("wall clock")) {
      out.printf(Locale.ROOT, "profile: %s ms per run in all (mean), %s ms outside kernels%n",
          millis(runMillis), millis(Math.max(0, runMillis - kernelMillis)));
    }
    if (loops != null && loops.total() > 0) {
      double n = Math.max(1, runs);
      out.printf(Locale.ROOT, "profile: parallel loops per run: %.0f split (a worker helped in %.0f), "
              + "%.0f on the caller as too small to split (%s ms), %.0f nested or concurrent%n",
          loops.split() / n, loops.helped() / n, loops.tooSmall() / n, millis(loops.tooSmallNanos() / 1e6 / n),
          loops.nested() / n);
      if (loops.split() > 0) {
        out.printf(Locale.ROOT, "profile: split loops: a worker started %.1f us after a loop began (mean), "
                + "the caller waited %s ms per run at loop ends and ran %.0f chunks per run no worker had started%n",
            loops.workerLateNanos() / 1e3 / Math.max(1, loops.helped()), millis(loops.joinWaitNanos() / 1e6 / n),
            loops.callerExtraChunks() / n);
      }
    }
  }

  /**
   * {@code --profile}, beside ONNX Runtime: each Kiln kernel with the ONNX Runtime nodes that
   * compute the same nodes of the model ({@link NodeComparison}), the {@code top} rows with the
   * most time of either engine, then both engines' totals.
   */
  static void printNodeComparison(PrintWriter out, List<dev.kiln.runtime.compiled.KernelProfiler.KernelTime> kernels,
      List<OrtProfile.NodeTime> ortNodes, dev.kiln.ir.graph.Graph model, String problem, int top) {
    if (ortNodes.isEmpty()) {
      out.println("profile: no per-node times of ONNX Runtime" + (problem.isEmpty() ? "" : ": " + problem));
      return;
    }
    if (kernels.isEmpty()) {
      return;
    }
    List<NodeComparison.Row> rows = NodeComparison.rows(kernels, ortNodes, model);
    double kiln = rows.stream().mapToDouble(NodeComparison.Row::kilnMillis).sum();
    double ort = rows.stream().mapToDouble(NodeComparison.Row::ortMillis).sum();
    out.printf(Locale.ROOT, "profile: beside ONNX Runtime's own profile (its nodes matched to Kiln's kernels "
        + "by node name; %d nodes, %s ms per run in nodes); the top %d:%n",
        ortNodes.size(), millis(ort), Math.min(top, rows.size()));
    MarkdownTable table = new MarkdownTable(
        List.of("Kiln ms", "ORT ms", "Kiln / ORT", "kernel", "Kiln computes", "ONNX Runtime nodes"));
    for (NodeComparison.Row r : rows.subList(0, Math.min(top, rows.size()))) {
      String ratio = r.kernel() == null || r.ortNodes().isEmpty() ? "—"
          : String.format(Locale.ROOT, "%.2f", r.kilnMillis() / Math.max(1e-9, r.ortMillis()));
      table.addRow(List.of(
          r.kernel() == null ? "—" : millis(r.kilnMillis()),
          r.ortNodes().isEmpty() ? "—" : millis(r.ortMillis()),
          ratio,
          r.kernel() == null ? "—" : String.valueOf(r.kernel().index()),
          r.kernel() == null ? "(no kernel names these nodes)" : r.kernel().source(),
          r.ortNodes().isEmpty() ? "—" : String.join(", ", r.ortNodes().stream()
              .map(n -> n.op() + " '" + n.name() + "'").toList())));
    }
    out.print(table.render());
    out.printf(Locale.ROOT, "profile: per run, Kiln's kernels %s ms, ONNX Runtime's nodes %s ms (profiled runs; "
        + "each engine's profiler adds its own cost)%n", millis(kiln), millis(ort));
  }

  /**
   * The split loops' time line (kiln bench --profile at 2 threads and more): where the caller's
   * and the workers' chunks ran, in µs from each loop's publication, on average and for the last
   * few loops (a chunk {@code c[s-e]} on the caller, {@code w[s-e]} on a worker).
   */
  static void printSplitSpans(PrintWriter out, dev.kiln.runtime.compiled.KernelProfiler.SplitSpans spans) {
    if (spans == null || spans.loops() == 0) {
      return;
    }
    out.printf(Locale.ROOT, "profile: split loops' time line (us from publication, mean): caller %.1f to %.1f; "
            + "worker %.1f to %.1f in the %d of %d loops it ran a chunk of; in chunks per loop: caller %.1f us "
            + "(CPU %.1f), workers %.1f us (CPU %.1f)%n",
        spans.callerStart() / 1e3, spans.callerEnd() / 1e3, spans.workerStart() / 1e3, spans.workerEnd() / 1e3,
        spans.workerLoops(), spans.loops(), spans.callerBusyNanos() / 1e3 / spans.loops(),
        spans.callerCpuNanos() / 1e3 / spans.loops(), spans.workerBusyNanos() / 1e3 / spans.loops(),
        spans.workerCpuNanos() / 1e3 / spans.loops());
    StringBuilder last = new StringBuilder("profile: the last split loops' chunks (us):");
    for (long[] s : spans.recent()) {
      last.append(" |");
      for (int c = 0; c + 3 < s.length; c += 4) {
        last.append(String.format(Locale.ROOT, " %s[%.1f-%.1f]", s[c + 2] == 1 ? "w" : "c", s[c] / 1e3,
            s[c + 1] / 1e3));
      }
    }
    out.println(last);
  }
}
