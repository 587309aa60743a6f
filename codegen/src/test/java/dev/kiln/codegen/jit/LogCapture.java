package dev.kiln.codegen.jit;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Records what a {@link System.Logger} logs, through java.util.logging, which backs System.Logger
 * when the java.logging module is present (it is in a JDK).
 */
final class LogCapture implements AutoCloseable {
  private final Logger logger;
  private final List<String> messages = new CopyOnWriteArrayList<>();
  private final Handler handler = new Handler() {
    @Override
    public void publish(LogRecord record) {
      if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
        messages.add(record.getMessage());
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  LogCapture(Class<?> loggerClass) {
    this.logger = Logger.getLogger(loggerClass.getName());
    logger.addHandler(handler);
  }

  /** Warnings so far. */
  List<String> warnings() {
    return List.copyOf(messages);
  }

  @Override
  public void close() {
    logger.removeHandler(handler);
  }
}
