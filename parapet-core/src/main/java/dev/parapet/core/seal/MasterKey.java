package dev.parapet.core.seal;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * {@code PARAPET_MASTER_KEY}: 32 random bytes from which every other key is derived.
 *
 * <p>The master key itself never keys a cipher. {@link #deriveKey} runs HKDF-SHA256 (RFC 5869)
 * with a fixed salt and {@code info = "parapet/v1/" + purpose}, so the blob key and the store key
 * are separate keys (NIST SP 800-108r1 key separation) even though the operator handles one
 * secret. A fixed salt is fine here: the input is already uniformly random (RFC 5869 §3.1), and a
 * constant keeps derivation deterministic, which a key that must open an existing blob requires.
 *
 * <p>{@link #close()} zeroes the bytes; the runtime closes the key once the blob is open and the
 * store keys are derived. {@link #toString()} never shows the key.
 */
public final class MasterKey implements AutoCloseable {
  /** Length of the master key and of every derived key, in bytes (AES-256, HMAC-SHA256). */
  public static final int LENGTH = 32;

  private static final byte[] HKDF_SALT =
      "parapet/v1/master-key-salt".getBytes(StandardCharsets.US_ASCII);
  private static final String INFO_PREFIX = "parapet/v1/";

  private final byte[] key;
  private volatile boolean closed;

  private MasterKey(byte[] key) {
    this.key = key;
  }

  /** A fresh key from {@code random}. */
  public static MasterKey generate(SecureRandom random) {
    Objects.requireNonNull(random, "random");
    byte[] key = new byte[LENGTH];
    random.nextBytes(key);
    return new MasterKey(key);
  }

  /**
   * Parses {@code PARAPET_MASTER_KEY}: standard base64 (RFC 4648 §4) of exactly 32 bytes,
   * surrounding whitespace ignored (env files and key files often end with a newline). Error
   * messages never repeat the value.
   *
   * @throws IllegalArgumentException if the text is not base64 or not 32 bytes
   */
  public static MasterKey fromBase64(String base64) {
    Objects.requireNonNull(base64, "PARAPET_MASTER_KEY");
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      // The JDK's message can quote the offending character; do not chain it.
      throw new IllegalArgumentException("PARAPET_MASTER_KEY: not valid base64");
    }
    if (decoded.length != LENGTH) {
      int n = decoded.length;
      Arrays.fill(decoded, (byte) 0);
      throw new IllegalArgumentException(
          "PARAPET_MASTER_KEY: expected base64 of 32 bytes, got " + n + " bytes");
    }
    return new MasterKey(decoded);
  }

  /** Package-private: for tests that need a known key. Copies {@code key}. */
  static MasterKey ofBytes(byte[] key) {
    if (key.length != LENGTH) {
      throw new IllegalArgumentException("master key: expected 32 bytes, got " + key.length);
    }
    return new MasterKey(key.clone());
  }

  /** Standard base64 of the key, for {@code PARAPET_MASTER_KEY=} output. Never log it. */
  public String toBase64() {
    checkOpen();
    return Base64.getEncoder().encodeToString(key);
  }

  /**
   * The 32-byte key for {@code purpose}: HKDF-SHA256(salt, master key, "parapet/v1/" + label).
   * Deterministic. The caller owns the returned array and should zero it when done.
   */
  public byte[] deriveKey(KeyPurpose purpose) {
    Objects.requireNonNull(purpose, "purpose");
    checkOpen();
    byte[] info = (INFO_PREFIX + purpose.label()).getBytes(StandardCharsets.US_ASCII);
    return hkdfSha256(key, HKDF_SALT, info, LENGTH);
  }

  /** HKDF-SHA256 extract-then-expand (RFC 5869 §2), via BouncyCastle. Package-private for tests. */
  static byte[] hkdfSha256(byte[] ikm, byte[] salt, byte[] info, int length) {
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(ikm, salt, info));
    byte[] out = new byte[length];
    hkdf.generateBytes(out, 0, length);
    return out;
  }

  /** Whether {@link #close()} has run. */
  public boolean isClosed() {
    return closed;
  }

  /** Zeroes the key; any later use throws {@link IllegalStateException}. Idempotent. */
  @Override
  public void close() {
    closed = true;
    Arrays.fill(key, (byte) 0);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("master key was closed");
    }
  }

  @Override
  public String toString() {
    return closed ? "MasterKey[closed]" : "MasterKey[***]";
  }
}
