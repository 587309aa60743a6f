package dev.kiln.passes.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * {@code --time-passes}: after each pipeline run, a table of every pass's wall time and share,
 * in pipeline order, then the verifier's runs summed (verify-each), with the total:
 *
 * <pre>
 * ===-- pass timing: 4 passes, 12.41 ms --===
 *        ms       %  pass
 *      1.20    9.7%  bind-shapes
 * </pre>
 */
public final class TimingInstrument implements PassInstrument {
  private record Row(String pass, long nanos) {}

  /** The row name of the verifier's runs, summed (verify-each). */
  private static final String VERIFY = "(verify-each)";

  private final Consumer<String> sink;
  /** Per thread: the compiled engine may specialize for several shapes at once. */
  private final ThreadLocal<List<Row>> rows = ThreadLocal.withInitial(ArrayList::new);

  public TimingInstrument(Consumer<String> sink) {
    this.sink = sink;
  }

  @Override
  public void beforePipeline(Pipeline pipeline, Ir input) {
    rows.get().clear();
  }

  @Override
  public void afterPass(Pipeline.PassStep step, Ir before, Ir after, long nanos) {
    rows.get().add(new Row(step.toString(), nanos));
  }

  @Override
  public void afterVerify(Pipeline.PassStep step, long nanos) {
    rows.get().add(new Row(VERIFY, nanos));
  }

  @Override
  public void afterPipeline(Ir output) {
    sink.accept(table(rows.get()));
  }

  private static String table(List<Row> all) {
    List<Row> rows = new ArrayList<>(all.stream().filter(r -> !r.pass().equals(VERIFY)).toList());
    List<Row> verifies = all.stream().filter(r -> r.pass().equals(VERIFY)).toList();
    if (!verifies.isEmpty()) {
      rows.add(new Row(VERIFY.replace(")", ", " + verifies.size() + " runs)"),
          verifies.stream().mapToLong(Row::nanos).sum()));
    }
    long total = rows.stream().mapToLong(Row::nanos).sum();
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "===-- pass timing: %d passes, %.2f ms --===%n%10s %7s  %s%n", all.size() - verifies.size(), total / 1e6,
        "ms", "%", "pass"));
    for (Row r : rows) {
      sb.append(String.format(Locale.ROOT, "%10.2f %6.1f%%  %s%n", r.nanos() / 1e6,
          total == 0 ? 0.0 : 100.0 * r.nanos() / total, r.pass()));
    }
    sb.append(String.format(Locale.ROOT, "%10.2f %6.1f%%  total%n", total / 1e6, total == 0 ? 0.0 : 100.0));
    return sb.toString();
  }
}
