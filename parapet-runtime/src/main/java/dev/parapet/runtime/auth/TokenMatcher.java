package dev.parapet.runtime.auth;

/**
 * Compares a presented bearer token with one stored digest in constant time. In production this
 * is {@code TokenDigest::matches}; the seam keeps the handler testable on its own.
 */
@FunctionalInterface
public interface TokenMatcher {
  boolean matches(byte[] presentedUtf8, String storedDigest);
}
