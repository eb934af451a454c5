package dev.parapet.core.seal;

import dev.parapet.core.seal.SealException.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals a {@link HydratedConfig} into {@code PARAPET_BOOTSTRAP_STATE} and opens it again.
 *
 * <h2>Blob format, version 1</h2>
 *
 * <p>The environment variable holds standard base64 (RFC 4648 §4) of:
 *
 * <pre>
 *  offset  size  field
 *  ------  ----  ---------------------------------------------------------------
 *       0     4  magic "PRPT" (0x50 0x52 0x50 0x54)
 *       4     1  format version = 1
 *       5     1  algorithm id   = 1 (HKDF-SHA256 key derivation + AES-256-GCM)
 *       6     8  key check: first 8 bytes of
 *                HMAC-SHA256(deriveKey(KEY_CHECK), "parapet key check v1")
 *      14    12  nonce (random, per seal)
 *      26     4  ciphertext length N, unsigned big-endian, including the tag
 *      30     N  AES-256-GCM ciphertext || 16-byte tag
 *  ------
 *  +----+---+---+-----------+--------------+-------+---------------------+
 *  |PRPT|ver|alg| key check |    nonce     |   N   | ciphertext ... tag  |
 *  +----+---+---+-----------+--------------+-------+---------------------+
 *  |&lt;------------- header, 30 bytes: GCM associated data ----------&gt;|
 * </pre>
 *
 * <p>The plaintext is {@link CanonicalJson} of the config. The AES key is {@code
 * deriveKey(BLOB)}, never the master key itself. The whole header is authenticated as GCM
 * associated data (NIST SP 800-38D §7), so changing the version, algorithm, key check, nonce or
 * length fails the tag. Nonces are 96 random bits; a master key seals few blobs, far below the
 * 2^32 invocations SP 800-38D §8.3 allows for random nonces.
 *
 * <p>The key check exists only so an operator is told "wrong key" rather than "tampered" when they
 * pair a blob with another environment's key. It is a MAC under a separate derived key, so it
 * reveals nothing about the blob key; it lets a holder of the blob test key guesses, which the GCM
 * tag already allows.
 *
 * <p>Checks run in the order that gives the most useful message: magic, version (before length,
 * so a future format reports its version, not truncation), algorithm, header length, key check,
 * declared length, tag, config.
 */
public final class Sealer {
  static final byte[] MAGIC = {'P', 'R', 'P', 'T'};
  static final byte FORMAT_VERSION = 1;
  static final byte ALG_HKDF_SHA256_AES256_GCM = 1;
  static final int KEY_CHECK_LENGTH = 8;
  static final int NONCE_LENGTH = 12;
  static final int TAG_BITS = 128;
  static final int TAG_LENGTH = TAG_BITS / 8;
  static final int OFFSET_VERSION = 4;
  static final int OFFSET_ALGORITHM = 5;
  static final int OFFSET_KEY_CHECK = 6;
  static final int OFFSET_NONCE = OFFSET_KEY_CHECK + KEY_CHECK_LENGTH;
  static final int OFFSET_LENGTH = OFFSET_NONCE + NONCE_LENGTH;
  static final int HEADER_LENGTH = OFFSET_LENGTH + 4;

  private static final byte[] KEY_CHECK_MESSAGE =
      "parapet key check v1".getBytes(StandardCharsets.US_ASCII);

  private Sealer() {}

  /**
   * Encrypts {@code config} under {@code key} with a fresh nonce; returns base64 of the blob.
   *
   * @throws IllegalArgumentException if the config would not open again (for instance a service
   *     without a token digest); the message names the path, never a value
   */
  public static String seal(HydratedConfig config, MasterKey key, SecureRandom random) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(random, "random");
    byte[] plaintext = CanonicalJson.write(config);
    try {
      // Never hand the operator a blob the runtime would refuse: read it back as open() will.
      CanonicalJson.read(plaintext).destroySecrets();
      return sealBytes(plaintext, key, random);
    } catch (SealException e) {
      throw new IllegalArgumentException(e.getMessage());
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  /** Seals arbitrary plaintext; package-private so tests can seal configs that are not valid. */
  static String sealBytes(byte[] plaintext, MasterKey key, SecureRandom random) {
    byte[] blobKey = key.deriveKey(KeyPurpose.BLOB);
    try {
      byte[] nonce = new byte[NONCE_LENGTH];
      random.nextBytes(nonce);
      int ciphertextLength = plaintext.length + TAG_LENGTH;
      ByteBuffer blob = ByteBuffer.allocate(HEADER_LENGTH + ciphertextLength);
      blob.put(MAGIC).put(FORMAT_VERSION).put(ALG_HKDF_SHA256_AES256_GCM);
      blob.put(keyCheck(key)).put(nonce).putInt(ciphertextLength);
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(blobKey, "AES"),
          new GCMParameterSpec(TAG_BITS, nonce));
      gcm.updateAAD(blob.array(), 0, HEADER_LENGTH);
      gcm.doFinal(plaintext, 0, plaintext.length, blob.array(), HEADER_LENGTH);
      return Base64.getEncoder().encodeToString(blob.array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is required of every Java platform", e);
    } finally {
      Arrays.fill(blobKey, (byte) 0);
    }
  }

  /**
   * Opens a blob sealed by {@link #seal}. Surrounding whitespace of {@code base64} is ignored.
   *
   * @throws SealException with the {@link Reason} the blob was refused for
   */
  public static OpenedState open(String base64, MasterKey key) throws SealException {
    Objects.requireNonNull(base64, "base64");
    Objects.requireNonNull(key, "key");
    byte[] blob = decode(base64);
    checkHeader(blob);
    if (!MessageDigest.isEqual(keyCheck(key),
        Arrays.copyOfRange(blob, OFFSET_KEY_CHECK, OFFSET_NONCE))) {
      throw new SealException(Reason.WRONG_KEY, "the master key does not open this blob");
    }
    long declared = Integer.toUnsignedLong(ByteBuffer.wrap(blob, OFFSET_LENGTH, 4).getInt());
    long actual = blob.length - HEADER_LENGTH;
    if (declared < TAG_LENGTH) {
      throw new SealException(Reason.TAMPERED,
          "blob declares " + declared + " ciphertext bytes, fewer than the 16-byte tag");
    }
    if (actual < declared) {
      throw new SealException(Reason.TRUNCATED,
          "blob is truncated: " + actual + " of " + declared + " ciphertext bytes");
    }
    if (actual > declared) {
      throw new SealException(Reason.TAMPERED,
          "blob has " + (actual - declared) + " bytes after its ciphertext");
    }
    byte[] plaintext = decrypt(blob, key);
    try {
      HydratedConfig config = CanonicalJson.read(plaintext);
      if (!Arrays.equals(CanonicalJson.write(config), plaintext)) {
        // The checksum must describe the config the runtime uses, byte for byte.
        throw new SealException(Reason.INVALID_CONFIG, "sealed config is not in canonical form");
      }
      return new OpenedState(config, CanonicalJson.sha256Hex(plaintext));
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  /** SHA-256 hex of {@code config}'s canonical form: what {@link #open} reports for its blob. */
  public static String configSha256(HydratedConfig config) {
    byte[] canonical = CanonicalJson.write(config);
    try {
      return CanonicalJson.sha256Hex(canonical);
    } finally {
      Arrays.fill(canonical, (byte) 0);
    }
  }

  private static byte[] decode(String base64) throws SealException {
    String text = base64.strip();
    if (text.isEmpty()) {
      throw new SealException(Reason.MALFORMED, "blob is empty");
    }
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new SealException(Reason.MALFORMED, "blob is not valid base64");
    }
  }

  private static void checkHeader(byte[] blob) throws SealException {
    if (blob.length < MAGIC.length) {
      throw new SealException(Reason.MALFORMED,
          "blob is " + blob.length + " bytes, too short to be a Parapet blob");
    }
    if (!Arrays.equals(blob, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new SealException(Reason.MALFORMED, "not a Parapet blob (bad magic)");
    }
    if (blob.length <= OFFSET_VERSION) {
      throw new SealException(Reason.TRUNCATED, "blob is truncated inside its header");
    }
    int version = Byte.toUnsignedInt(blob[OFFSET_VERSION]);
    if (version != FORMAT_VERSION) {
      throw new SealException(Reason.UNKNOWN_VERSION,
          "blob format version " + version + " is not supported; this runtime reads version 1");
    }
    if (blob.length <= OFFSET_ALGORITHM) {
      throw new SealException(Reason.TRUNCATED, "blob is truncated inside its header");
    }
    int algorithm = Byte.toUnsignedInt(blob[OFFSET_ALGORITHM]);
    if (algorithm != ALG_HKDF_SHA256_AES256_GCM) {
      throw new SealException(Reason.UNKNOWN_ALGORITHM,
          "blob algorithm id " + algorithm + " is not supported; this runtime knows 1"
              + " (HKDF-SHA256 + AES-256-GCM)");
    }
    if (blob.length < HEADER_LENGTH) {
      throw new SealException(Reason.TRUNCATED,
          "blob is truncated: " + blob.length + " bytes, the header alone is " + HEADER_LENGTH);
    }
  }

  private static byte[] decrypt(byte[] blob, MasterKey key) throws SealException {
    byte[] blobKey = key.deriveKey(KeyPurpose.BLOB);
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(blobKey, "AES"),
          new GCMParameterSpec(TAG_BITS, blob, OFFSET_NONCE, NONCE_LENGTH));
      gcm.updateAAD(blob, 0, HEADER_LENGTH);
      return gcm.doFinal(blob, HEADER_LENGTH, blob.length - HEADER_LENGTH);
    } catch (AEADBadTagException e) {
      throw new SealException(Reason.TAMPERED,
          "blob failed authentication: it was altered after sealing");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is required of every Java platform", e);
    } finally {
      Arrays.fill(blobKey, (byte) 0);
    }
  }

  /** First 8 bytes of HMAC-SHA256(deriveKey(KEY_CHECK), "parapet key check v1"). */
  static byte[] keyCheck(MasterKey key) {
    byte[] checkKey = key.deriveKey(KeyPurpose.KEY_CHECK);
    try {
      Mac hmac = Mac.getInstance("HmacSHA256");
      hmac.init(new SecretKeySpec(checkKey, "HmacSHA256"));
      return Arrays.copyOf(hmac.doFinal(KEY_CHECK_MESSAGE), KEY_CHECK_LENGTH);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
    } finally {
      Arrays.fill(checkKey, (byte) 0);
    }
  }
}
