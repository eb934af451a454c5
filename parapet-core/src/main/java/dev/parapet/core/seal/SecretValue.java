package dev.parapet.core.seal;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * A secret held in memory: never printed ({@link #toString()} is masked), compared in constant
 * time, and zeroable. Provider keys are the only secrets Parapet keeps recoverable; they live in
 * one of these from the moment the blob is opened.
 */
public final class SecretValue {
  private final byte[] utf8;
  private volatile boolean destroyed;

  private SecretValue(byte[] utf8) {
    this.utf8 = utf8;
  }

  /** Copies {@code value}; the caller should zero its own array. */
  public static SecretValue ofUtf8(byte[] value) {
    return new SecretValue(value.clone());
  }

  /** Encodes {@code value} as UTF-8 without an intermediate String; the caller zeroes its array. */
  public static SecretValue ofChars(char[] value) {
    ByteBuffer bb = StandardCharsets.UTF_8.encode(CharBuffer.wrap(value));
    byte[] out = new byte[bb.remaining()];
    bb.get(out);
    if (bb.hasArray()) {
      Arrays.fill(bb.array(), (byte) 0);
    }
    return new SecretValue(out);
  }

  /** For values that already exist as Strings (environment variables, parsed JSON). */
  public static SecretValue of(String value) {
    return new SecretValue(value.getBytes(StandardCharsets.UTF_8));
  }

  /** A copy of the UTF-8 bytes; zero it when done. */
  public byte[] utf8() {
    checkLive();
    return utf8.clone();
  }

  /**
   * The value as a String, for the one place that must put it on the wire (a header value). Keep
   * the result local; never log it.
   */
  public String reveal() {
    checkLive();
    return new String(utf8, StandardCharsets.UTF_8);
  }

  /**
   * The UTF-8 byte at {@code index}: for a matcher that looks for the secret in every answer and
   * must not copy it for each one (the runtime's key scrubber). Never log or keep the result.
   */
  public byte byteAt(int index) {
    checkLive();
    return utf8[index];
  }

  public int length() {
    return utf8.length;
  }

  public boolean isEmpty() {
    return utf8.length == 0;
  }

  /** Constant-time (in the length of the shorter input's content) comparison. */
  public boolean matches(byte[] candidateUtf8) {
    checkLive();
    return MessageDigest.isEqual(utf8, candidateUtf8);
  }

  public void destroy() {
    Arrays.fill(utf8, (byte) 0);
    destroyed = true;
  }

  public boolean isDestroyed() {
    return destroyed;
  }

  private void checkLive() {
    if (destroyed) {
      throw new IllegalStateException("secret was destroyed");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SecretValue other && MessageDigest.isEqual(utf8, other.utf8);
  }

  @Override
  public int hashCode() {
    return 0; // content-independent on purpose: a hash of a secret is a leak
  }

  @Override
  public String toString() {
    return "SecretValue[***]";
  }
}
