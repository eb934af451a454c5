package dev.parapet.core.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The HMAC-SHA256 key of the hash chain ({@code KeyPurpose.STORE_MAC}) and the three things it
 * MACs. Each gets its own tag byte so a row MAC can never be replayed as a head or an anchor MAC.
 * Someone with the database key but not this one (there is none: both come from the master key)
 * could decrypt but not forge; the chain's job is to make edits by hand, with the key, visible.
 *
 * <p>{@link Mac} is not thread-safe: each thread asks for its own with {@link #newMac()}.
 */
final class ChainKey implements AutoCloseable {
  static final int MAC_LENGTH = 32;
  private static final byte TAG_ROW = 'R';
  private static final byte TAG_HEAD = 'H';
  private static final byte TAG_ANCHOR = 'A';

  private final byte[] key;

  ChainKey(byte[] macKey) {
    if (macKey.length != MAC_LENGTH) {
      throw new IllegalArgumentException("macKey: " + macKey.length + " bytes (expected: 32)");
    }
    this.key = macKey.clone();
  }

  Mac newMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** HMAC(key, 'R' || prev_mac || seq (8 bytes, big-endian) || canonical row). */
  static byte[] rowMac(Mac mac, byte[] prevMac, long seq, byte[] canonicalRow) {
    mac.update(TAG_ROW);
    mac.update(prevMac);
    mac.update(ByteBuffer.allocate(8).putLong(seq).array());
    mac.update(canonicalRow);
    return mac.doFinal();
  }

  /** HMAC(key, 'H' || last_seq || last_mac): the head, so a deleted tail is visible. */
  static byte[] headMac(Mac mac, long lastSeq, byte[] lastMac) {
    mac.update(TAG_HEAD);
    mac.update(ByteBuffer.allocate(8).putLong(lastSeq).array());
    mac.update(lastMac);
    return mac.doFinal();
  }

  /** HMAC(key, 'A' || id || after_seq || prev_mac || created_us || reason). */
  static byte[] anchorMac(
      Mac mac, long id, long afterSeq, byte[] prevMac, long createdUs, String reason) {
    mac.update(TAG_ANCHOR);
    mac.update(ByteBuffer.allocate(24).putLong(id).putLong(afterSeq).putLong(createdUs).array());
    mac.update(prevMac);
    mac.update(reason.getBytes(StandardCharsets.UTF_8));
    return mac.doFinal();
  }

  @Override
  public void close() {
    Arrays.fill(key, (byte) 0);
  }

  @Override
  public String toString() {
    return "ChainKey[***]";
  }
}
