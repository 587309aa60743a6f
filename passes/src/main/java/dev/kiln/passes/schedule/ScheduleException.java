package dev.kiln.passes.schedule;

/**
 * A schedule primitive whose precondition does not hold. The message names the call, the kernel,
 * the loop or buffer, and the number of the violated precondition in the primitive's Javadoc,
 * e.g. {@code split(j, 0) in kernel relu: precondition 2: the factor must be at least 1, got 0}.
 * The schedule is left unchanged, so a caller may catch this and try something else.
 */
public final class ScheduleException extends RuntimeException {
  private final ScheduleError kind;

  public ScheduleException(ScheduleError kind, String message) {
    super(message);
    this.kind = kind;
  }

  public ScheduleError kind() {
    return kind;
  }
}
