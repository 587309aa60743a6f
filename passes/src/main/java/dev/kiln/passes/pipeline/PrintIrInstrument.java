package dev.kiln.passes.pipeline;

import com.google.common.collect.ImmutableSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code --print-ir-after-all}, {@code --print-ir-after=NAME} and {@code --print-ir-after-change}:
 * after a pass, its output IR under a header line {@code // -----// IR after NAME //----- //}.
 */
public final class PrintIrInstrument implements PassInstrument {
  /** Which passes print. */
  public enum Mode {
    /** Every pass. */
    ALL,
    /** The passes named. */
    NAMED,
    /** Every pass that changed the IR. */
    CHANGED
  }

  private final Mode mode;
  private final ImmutableSet<String> names;
  private final IrPrinter printer;
  private final Consumer<String> sink;

  /**
   * @param names the passes to print after, for {@link Mode#NAMED}; passes named in
   *     {@code names} print in every mode
   */
  public PrintIrInstrument(Mode mode, Set<String> names, IrPrinter printer, Consumer<String> sink) {
    this.mode = mode;
    this.names = ImmutableSet.copyOf(names);
    this.printer = printer;
    this.sink = sink;
  }

  /** The header line printed before the IR after {@code pass}. */
  public static String header(String pass) {
    return "// -----// IR after " + pass + " //----- //";
  }

  @Override
  public void afterPass(Pipeline.PassStep step, Ir before, Ir after, long nanos) {
    String name = step.info().argument();
    boolean print = switch (mode) {
      case ALL -> true;
      case NAMED -> names.contains(name);
      case CHANGED -> names.contains(name) || changed(before, after);
    };
    if (print) {
      sink.accept(header(step.toString()) + "\n" + printer.print(after));
    }
  }

  /** Passes return their input when they change nothing; a new but equal result counts as unchanged. */
  static boolean changed(Ir before, Ir after) {
    return before != after && !before.equals(after);
  }
}
