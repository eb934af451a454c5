package dev.parapet.runtime.provider;

/**
 * A provider answered with something we cannot translate. The message names what was wrong in
 * our words; it never quotes the provider's bytes (they could echo a key back). {@link
 * ProviderErrorException}: what it sent was readable, an error of its own.
 */
public sealed class ProviderProtocolException extends Exception permits ProviderErrorException {
  private static final long serialVersionUID = 1L;

  public ProviderProtocolException(String message) {
    super(message, null, false, false);
  }
}
