package dev.kiln.bench;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

/** Prints {@code kiln bench --compare-levels}: one markdown table, a row per model. */
final class LevelReport {
  private LevelReport() {}

  static void printSettings(PrintWriter out, BenchSettings s, int low, int high) {
    out.printf(Locale.ROOT, "Kiln alone, -O%d against -O%d: threads %d, %s + %d timed runs each, "
        + "engine %s%n", high, low, s.threads(), BenchReport.warmUpRule(s), s.runs(),
        s.engine().name().toLowerCase(Locale.ROOT));
  }

  static MarkdownTable table(List<LevelComparison> results, double tolerance) {
    if (results.isEmpty()) {
      throw new IllegalArgumentException("no results to tabulate");
    }
    int low = results.getFirst().low().level();
    int high = results.getFirst().high().level();
    String lo = "-O" + low;
    String hi = "-O" + high;
    MarkdownTable t = new MarkdownTable("model", "graph nodes, " + lo + " → " + hi,
        "kernels, " + lo + " → " + hi, "Kiln ms " + lo, "Kiln ms " + hi, "speedup (" + lo + " / " + hi + ")",
        hi + " vs " + lo + " max rel. error", "note");
    for (LevelComparison r : results) {
      t.addRow(r.model(), arrow(r.low().graphNodes(), r.high().graphNodes()),
          arrow(r.low().kernels(), r.high().kernels()), median(r.low()), median(r.high()),
          r.speedup().isPresent() ? BenchReport.ratio(r.speedup().getAsDouble()) : "—",
          error(r.worstRelativeError()), note(r, tolerance));
    }
    return t;
  }

  /** {@code 64 → 33}; a missing side is a dash. */
  static String arrow(OptionalInt before, OptionalInt after) {
    return (before.isPresent() ? String.valueOf(before.getAsInt()) : "—") + " → "
        + (after.isPresent() ? String.valueOf(after.getAsInt()) : "—");
  }

  private static String median(LevelFigures f) {
    return f.latency().map(l -> BenchReport.millis(l.medianMillis())).orElse("failed");
  }

  static String error(double relative) {
    return Double.isNaN(relative) ? "—" : String.format(Locale.ROOT, "%.1e", relative);
  }

  /** The failures, first lines only, and a disagreement; empty when all is well. */
  static String note(LevelComparison r, double tolerance) {
    StringBuilder sb = new StringBuilder();
    for (LevelFigures f : List.of(r.low(), r.high())) {
      f.failure().ifPresent(why -> append(sb, "-O" + f.level() + ": " + BenchReport.firstLine(why)));
    }
    boolean ran = r.low().failure().isEmpty() && r.high().failure().isEmpty();
    Optional<String> problem = r.agreementProblem();
    if (ran && problem.isPresent()) {
      append(sb, problem.get());
    } else if (ran && !r.succeeded(tolerance)) {
      append(sb, "outputs disagree (tolerance " + tolerance + ")");
    }
    return sb.toString();
  }

  private static void append(StringBuilder sb, String s) {
    sb.append(sb.isEmpty() ? "" : "; ").append(s);
  }
}
