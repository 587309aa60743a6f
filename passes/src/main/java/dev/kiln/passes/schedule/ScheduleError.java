package dev.kiln.passes.schedule;

/** What kind of precondition a schedule primitive found violated; see {@link ScheduleException}. */
public enum ScheduleError {
  /** A loop name that is no loop of the kernel. */
  UNKNOWN_LOOP,
  /** The same loop given twice where distinct loops are needed. */
  DUPLICATE_LOOP,
  /** A factor, extent limit or other argument out of its range. */
  BAD_ARGUMENT,
  /** The loop already has a kind (parallel, vectorized, unrolled) that the primitive would lose. */
  LOOP_NOT_SERIAL,
  /** The loops are not one perfect nest (something other than the next loop sits between them). */
  NOT_PERFECTLY_NESTED,
  /** Vectorize: the loop contains another loop. */
  NOT_INNERMOST,
  /** Iterations that touch the same data would run in a different order, or concurrently. */
  DEPENDENCE,
  /** Vectorize: an access uses the loop variable other than as the unit-stride last index. */
  NOT_CONTIGUOUS,
  /** Parallelize: a parallel loop inside or around another parallel loop. */
  NESTED_PARALLEL,
  /** Accumulate-in-place: the loop body is not {@code let acc; reduction loop; store acc}. */
  NOT_AN_ACCUMULATION,
  /** Fission: the loop body is not a sequence of statements that can run as separate loops. */
  NOT_DISTRIBUTABLE,
  /** Compute-at: the producer kernel is not of the supported elementwise form. */
  PRODUCER_NOT_ELEMENTWISE,
  /** Compute-at: inlining the producer would read data the consumer changes, or is not needed. */
  PRODUCER_CONFLICT,
  /** Pack: no buffer of that name in the program. */
  UNKNOWN_BUFFER,
  /** Pack: the buffer is not a constant, so its data cannot be re-laid out ahead of time. */
  NOT_CONSTANT,
  /** Pack: the layout does not fit the buffer's rank. */
  BAD_LAYOUT,
  /** A trace text that does not parse. */
  TRACE_SYNTAX,
  /** A trace step that does not replay to the loops it recorded. */
  TRACE_MISMATCH,
  /** The kernel holds a {@code matmul} intrinsic, whose blocking is code generation's, not a schedule's. */
  HOLDS_INTRINSIC,
  /** A schedule function returned a schedule of some other kernel than the one it was given. */
  WRONG_KERNEL
}
