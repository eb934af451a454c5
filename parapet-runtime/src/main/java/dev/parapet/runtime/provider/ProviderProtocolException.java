package dev.parapet.runtime.provider;

/**
 * A provider answered with something we cannot translate. The message names what was wrong in
 * our words; it never quotes the provider's bytes (they could echo a key back).
 */
public final class ProviderProtocolException extends Exception {
  private static final long serialVersionUID = 1L;

  public ProviderProtocolException(String message) {
    super(message, null, false, false);
  }
}
