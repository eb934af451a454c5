package dev.parapet.core.store;

/**
 * The ledger queue is full: the hold could not be queued for durable storage. The caller must
 * refuse the request (503) rather than forward a call whose reserved spend could be forgotten.
 */
public final class StoreOverloadedException extends StoreException {
  private static final long serialVersionUID = 1L;

  public StoreOverloadedException(String message) {
    super(message);
  }
}
