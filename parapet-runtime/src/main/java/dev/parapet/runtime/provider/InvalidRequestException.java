package dev.parapet.runtime.provider;

/** The caller's request cannot be sent to this provider; answered with 400 {@code invalid_request}. */
public final class InvalidRequestException extends Exception {
  private static final long serialVersionUID = 1L;

  public InvalidRequestException(String message) {
    super(message, null, false, false);
  }
}
