package dev.parapet.core.store;

import java.util.Locale;
import java.util.Optional;

/**
 * Enforcement events, named in SPEC §4 in lower case ({@link #wireName()}). {@code
 * HOLD_RECOVERED} marks a budget hold that was open when the process died and was settled at its
 * worst case on the next boot.
 */
public enum EventKind {
  DENIED,
  BUDGET_EXCEEDED,
  REDACTED,
  REDACTION_BLOCKED,
  MODEL_DRIFT,
  STREAM_TRUNCATED,
  UPSTREAM_ERROR,
  FINGERPRINT_CHANGED,
  HOLD_RECOVERED;

  /** The name used on the wire and in the store: {@code budget_exceeded}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The kind whose {@link #wireName()} is {@code name}, for the {@code kind=} query parameter. */
  public static Optional<EventKind> fromWireName(String name) {
    for (EventKind k : values()) {
      if (k.wireName().equals(name)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }
}
