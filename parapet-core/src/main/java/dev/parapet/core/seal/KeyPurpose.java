package dev.parapet.core.seal;

/**
 * What a key derived from the {@link MasterKey} is for. Each purpose gets its own HKDF {@code info}
 * label (RFC 5869 §3.2), so the blob key, the store key and the telemetry MAC key are independent:
 * learning one of them says nothing about the others, and no key is ever used by two algorithms.
 */
public enum KeyPurpose {
  /** AES-256-GCM key of the sealed bootstrap blob ({@link Sealer}). */
  BLOB("blob"),
  /** Encryption key of the telemetry store at rest. */
  STORE("store"),
  /** HMAC key of the telemetry store's hash chain. */
  STORE_MAC("store-mac"),
  /** HMAC key of the blob's key check, which tells "wrong key" apart from "tampered blob". */
  KEY_CHECK("key-check");

  private final String label;

  KeyPurpose(String label) {
    this.label = label;
  }

  /** The label appended to {@code parapet/v1/} in the HKDF info. Never change a released label. */
  public String label() {
    return label;
  }
}
