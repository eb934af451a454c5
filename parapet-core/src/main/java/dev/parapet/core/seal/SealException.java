package dev.parapet.core.seal;

import java.util.Objects;

/**
 * A blob that cannot be opened, with the reason an operator needs to fix it. Messages are one
 * line and never contain key or blob material. These are expected failures reported to an
 * operator, so no stack trace is captured.
 */
public final class SealException extends Exception {
  /** Why a blob was refused. */
  public enum Reason {
    /** Not base64, or not a Parapet blob (bad magic). */
    MALFORMED,
    /** Shorter than its header, or than the ciphertext length it declares. */
    TRUNCATED,
    /** A format version this runtime does not read. */
    UNKNOWN_VERSION,
    /** An algorithm id this runtime does not know. */
    UNKNOWN_ALGORITHM,
    /** The key check does not match: the master key does not open this blob. */
    WRONG_KEY,
    /** The right key, but the ciphertext, tag or header was altered, or bytes were appended. */
    TAMPERED,
    /** Decrypted, but the config inside is not a valid canonical config. */
    INVALID_CONFIG
  }

  private final Reason reason;

  public SealException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public SealException(Reason reason, String message, Throwable cause) {
    super(message, cause, false, false);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public Reason reason() {
    return reason;
  }
}
