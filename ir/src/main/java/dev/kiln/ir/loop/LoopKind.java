package dev.kiln.ir.loop;

/** How a loop runs; chosen by schedules, honoured by code generation. */
public enum LoopKind {
  SERIAL("for"),
  /** Iterations run on the thread pool; they must be independent. */
  PARALLEL("parallel for"),
  /** Iterations become SIMD lanes (Vector API); the tail is masked or scalar. */
  VECTORIZED("vectorized for"),
  /** The body is repeated {@code extent} times in the generated code. */
  UNROLLED("unrolled for");

  private final String keyword;

  LoopKind(String keyword) {
    this.keyword = keyword;
  }

  public String keyword() {
    return keyword;
  }
}
