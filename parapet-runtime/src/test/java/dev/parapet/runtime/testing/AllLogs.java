package dev.parapet.runtime.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Captures every logback event of every logger at DEBUG and below for as long as it is open, each
 * rendered with everything a log line could carry: logger, message, arguments, MDC, and the whole
 * exception chain (types, messages, stack frames). What a leak test scans for secrets.
 */
public final class AllLogs extends AppenderBase<ILoggingEvent> implements AutoCloseable {
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final Level before;
  private final List<String> lines = new ArrayList<>();
  private final List<String> messages = new ArrayList<>();

  private AllLogs() {
    before = root.getLevel();
    root.setLevel(Level.TRACE);
    setContext(root.getLoggerContext());
    setName("all-logs");
    start();
    root.addAppender(this);
  }

  public static AllLogs capture() {
    return new AllLogs();
  }

  @Override
  protected void append(ILoggingEvent e) {
    StringBuilder s = new StringBuilder()
        .append(e.getLevel()).append(' ').append(e.getLoggerName()).append(' ')
        .append(e.getFormattedMessage()).append(' ').append(e.getMDCPropertyMap());
    Object[] args = e.getArgumentArray();
    if (args != null) {
      for (Object a : args) {
        s.append(" arg=").append(a);
      }
    }
    for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
      s.append("\n  ").append(t.getClassName()).append(": ").append(t.getMessage());
      for (StackTraceElementProxy frame : t.getStackTraceElementProxyArray()) {
        s.append("\n    ").append(frame.getSTEAsString());
      }
      for (IThrowableProxy suppressed : t.getSuppressed()) {
        s.append("\n  suppressed ").append(suppressed.getClassName()).append(": ").append(suppressed.getMessage());
      }
    }
    synchronized (lines) {
      lines.add(s.toString());
      messages.add(e.getFormattedMessage());
    }
  }

  public List<String> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  /** Each event's formatted message alone: what a line-oriented log file would hold. */
  public List<String> messages() {
    synchronized (lines) {
      return List.copyOf(messages);
    }
  }

  @Override
  public void close() {
    root.detachAppender(this);
    root.setLevel(before);
    stop();
  }
}
