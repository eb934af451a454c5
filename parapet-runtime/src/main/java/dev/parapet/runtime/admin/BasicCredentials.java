package dev.parapet.runtime.admin;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The credentials of one {@code Authorization: Basic} header (RFC 7617), parsed strictly: exactly
 * one header, scheme {@code Basic} (case-insensitive, RFC 9110 §11.1), one or more spaces, then
 * canonical base64 of {@code user-id ":" password} in UTF-8 (RFC 7617 §2.1), at most {@value
 * #MAX_HEADER_CHARS} characters in all. The user-id is everything before the first colon (it
 * cannot hold one) and must be valid UTF-8 without control characters. The password is kept as
 * bytes so that it can be zeroed: call {@link #close()} when done.
 */
final class BasicCredentials implements AutoCloseable {
  static final int MAX_HEADER_CHARS = 1024;
  private static final String SCHEME = "basic";

  private final String username;
  private final byte[] password;

  private BasicCredentials(String username, byte[] password) {
    this.username = username;
    this.password = password;
  }

  /** The credentials, or empty when there is not exactly one well-formed Basic header. */
  static Optional<BasicCredentials> parse(List<String> authorization) {
    if (authorization.size() != 1) {
      return Optional.empty();
    }
    String value = authorization.get(0);
    if (value.length() > MAX_HEADER_CHARS
        || value.length() <= SCHEME.length()
        || !value.regionMatches(true, 0, SCHEME, 0, SCHEME.length())
        || value.charAt(SCHEME.length()) != ' ') {
      return Optional.empty();
    }
    int start = SCHEME.length();
    while (start < value.length() && value.charAt(start) == ' ') {
      start++;
    }
    String token = value.substring(start);
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      return Optional.empty(); // not base64 (spaces, '-', '_', bad padding or length)
    }
    if (!Base64.getEncoder().encodeToString(decoded).equals(token)) {
      Arrays.fill(decoded, (byte) 0);
      return Optional.empty(); // not canonical: missing padding or stray low bits (RFC 4648 §3.5)
    }
    try {
      int colon = indexOf(decoded, (byte) ':');
      if (colon < 1) {
        return Optional.empty();
      }
      Optional<String> user = utf8(Arrays.copyOfRange(decoded, 0, colon));
      if (user.isEmpty() || user.get().chars().anyMatch(Character::isISOControl)) {
        return Optional.empty();
      }
      return Optional.of(
          new BasicCredentials(user.get(), Arrays.copyOfRange(decoded, colon + 1, decoded.length)));
    } finally {
      Arrays.fill(decoded, (byte) 0);
    }
  }

  String username() {
    return username;
  }

  /** The password's UTF-8 bytes: the caller must not keep them past {@link #close()}. */
  byte[] password() {
    return password;
  }

  @Override
  public void close() {
    Arrays.fill(password, (byte) 0);
  }

  private static int indexOf(byte[] bytes, byte b) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static Optional<String> utf8(byte[] bytes) {
    try {
      return Optional.of(StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes)).toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }
}
