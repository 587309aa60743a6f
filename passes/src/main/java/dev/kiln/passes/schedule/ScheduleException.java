package dev.kiln.passes.schedule;

/**
 * A schedule primitive whose precondition does not hold. The message names the call, the kernel,
 * the loop or buffer, and the number of the violated precondition in the primitive's Javadoc,
 * e.g. {@code split(j, 0) in kernel relu: precondition 2: the factor must be at least 1, got 0}.
 * The schedule is left unchanged, so a caller may catch this and try something else.
 */
public final class ScheduleException extends RuntimeException {
  private final ScheduleError kind;
  private final String detail;

  public ScheduleException(ScheduleError kind, String message) {
    this(kind, message, message);
  }

  /** @param detail the message without the call and precondition it names: the bare reason */
  public ScheduleException(ScheduleError kind, String message, String detail) {
    super(message);
    this.kind = kind;
    this.detail = detail;
  }

  public ScheduleError kind() {
    return kind;
  }

  /** Why the precondition does not hold, without the call and kernel (for composite primitives). */
  public String detail() {
    return detail;
  }
}
