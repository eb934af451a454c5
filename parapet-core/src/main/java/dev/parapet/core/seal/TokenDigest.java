package dev.parapet.core.seal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Service bearer tokens are kept only as {@code "sha256:" + hex(SHA-256(domain || token))}.
 *
 * <p>A plain hash (no salt, no key) is enough: the token is a long random value chosen by the
 * operator (the {@link Hydrator} warns below 32 characters), so there is nothing to precompute,
 * and a fast digest keeps the per-request check cheap on the event loop. The domain prefix keeps
 * these digests distinct from any other SHA-256 of the same bytes. It is deterministic on purpose:
 * the same spec and secrets must give the same config checksum.
 */
public final class TokenDigest {
  private static final byte[] DOMAIN =
      "parapet/v1/service-token\0".getBytes(StandardCharsets.US_ASCII);
  private static final String PREFIX = "sha256:";
  private static final Pattern SHAPE = Pattern.compile("sha256:[0-9a-f]{64}");

  /** The longest bearer token the gateway reads; a longer {@code Authorization} is refused. */
  public static final int MAX_TOKEN_CHARS = 512;

  private TokenDigest() {}

  /**
   * Whether a caller can present {@code token} as {@code Authorization: Bearer <token>}: 1 to
   * {@link #MAX_TOKEN_CHARS} visible ASCII characters (RFC 9110 §5.5: a header value holds no
   * control characters, and its surrounding spaces are not part of it). The gateway reads the
   * header this way (this is the rule it applies), so any other token would lock its service out.
   */
  public static boolean isPresentable(CharSequence token) {
    if (token.length() < 1 || token.length() > MAX_TOKEN_CHARS) {
      return false;
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /** The stored form of {@code tokenUtf8}. */
  public static String of(byte[] tokenUtf8) {
    Objects.requireNonNull(tokenUtf8, "token");
    return PREFIX + HexFormat.of().formatHex(digest(tokenUtf8));
  }

  /**
   * Whether {@code presentedUtf8} is the token behind {@code storedDigest}. Compares the digests
   * with {@link MessageDigest#isEqual}, which takes time independent of where they differ.
   */
  public static boolean matches(byte[] presentedUtf8, String storedDigest) {
    if (presentedUtf8 == null || storedDigest == null || !isWellFormed(storedDigest)) {
      return false;
    }
    byte[] expected = HexFormat.of().parseHex(storedDigest, PREFIX.length(), storedDigest.length());
    return MessageDigest.isEqual(digest(presentedUtf8), expected);
  }

  /** Whether {@code s} has the shape {@code sha256:<64 lower-case hex>}. */
  public static boolean isWellFormed(String s) {
    return s != null && SHAPE.matcher(s).matches();
  }

  private static byte[] digest(byte[] token) {
    MessageDigest sha256 = sha256();
    sha256.update(DOMAIN);
    sha256.update(token);
    return sha256.digest();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
