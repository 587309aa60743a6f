package dev.kiln.passes.pipeline;

/**
 * A mistake in a pipeline string, at a column (1-based) of it; the message shows the pipeline with
 * a caret under the fault:
 *
 * <pre>
 * pipeline column 5: unknown pass 'cze' (did you mean 'cse'?)
 *   dce,cze
 *       ^
 * </pre>
 */
public final class PipelineException extends RuntimeException {
  private final String pipeline;
  private final int column;
  private final String problem;

  public PipelineException(String pipeline, int column, String problem) {
    super("pipeline column " + column + ": " + problem + "\n  " + pipeline + "\n  "
        + " ".repeat(Math.max(0, column - 1)) + "^");
    this.pipeline = pipeline;
    this.column = column;
    this.problem = problem;
  }

  /** The pipeline string as given. */
  public String pipeline() {
    return pipeline;
  }

  /** The 1-based column of the fault. */
  public int column() {
    return column;
  }

  /** The problem alone, without the pipeline and caret. */
  public String problem() {
    return problem;
  }
}
