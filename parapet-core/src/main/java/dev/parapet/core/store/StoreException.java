package dev.parapet.core.store;

/**
 * The telemetry store cannot do what was asked: open, migrate, verify or write. Messages name the
 * data directory and the reason; they never carry key material or record contents beyond names
 * the operator already knows (sequence numbers, table names).
 */
public class StoreException extends Exception {
  private static final long serialVersionUID = 1L;

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
