package dev.parapet.runtime.boot;

/**
 * Why Parapet will not start, as one line safe to print: it names the variable or the step and
 * what was expected, never a secret or a caller's bytes. No stack trace is kept.
 */
public final class BootException extends Exception {
  private static final long serialVersionUID = 1L;

  public BootException(String message) {
    super(message, null, false, false);
  }
}
