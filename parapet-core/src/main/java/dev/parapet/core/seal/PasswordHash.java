package dev.parapet.core.seal;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Passwords of {@code users[]} as Argon2id (RFC 9106) in PHC string format:
 * {@code $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>} (unpadded standard base64).
 *
 * <p>Parameters are the OWASP Password Storage Cheat Sheet minimum for Argon2id (19 MiB, two
 * passes, one lane) — the memory cost is what makes guessing expensive on GPUs. Hashing takes tens
 * of milliseconds, so the runtime runs {@link #verify} off the event loop.
 *
 * <p><b>Why the salt is derived, not random.</b> The salt is the first 16 bytes of
 * {@code SHA-256("parapet/v1/argon2id-salt\0" || username)}. The config checksum must be identical
 * for the same config — the same spec and the same secrets give the same {@code config_sha256},
 * whatever nonce the blob got — so an operator can prove which config is running by rebuilding
 * it. A random salt would make every build's checksum differ. A per-username salt still does what
 * RFC 9106 §3.1 asks of a salt in practice: two users with the same password get different hashes,
 * and a table precomputed for one username is useless for another. What it gives up is
 * uniqueness across deployments that reuse a username with the same password; the cost
 * parameters, not the salt, are what resist brute force of one hash.
 */
public final class PasswordHash {
  static final int MEMORY_KIB = 19_456;
  static final int ITERATIONS = 2;
  static final int PARALLELISM = 1;
  static final int HASH_LENGTH = 32;
  static final int SALT_LENGTH = 16;

  // Bounds for hashes read back: wide enough for any sane tuning, narrow enough that a bad
  // string cannot make verify allocate gigabytes or spin for minutes.
  private static final int MAX_MEMORY_KIB = 1 << 20; // 1 GiB
  private static final int MAX_ITERATIONS = 64;
  private static final int MAX_PARALLELISM = 64;
  private static final int MIN_SALT = 8;
  private static final int MAX_SALT = 64;
  private static final int MIN_HASH = 16;
  private static final int MAX_HASH = 64;

  private static final byte[] SALT_DOMAIN =
      "parapet/v1/argon2id-salt\0".getBytes(StandardCharsets.US_ASCII);
  private static final Pattern PHC =
      Pattern.compile(
          "\\$argon2id\\$v=19\\$m=([1-9][0-9]{0,9}),t=([1-9][0-9]{0,9}),p=([1-9][0-9]{0,9})"
              + "\\$([A-Za-z0-9+/]{1,128})\\$([A-Za-z0-9+/]{1,128})");
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();

  private PasswordHash() {}

  /** The PHC string for {@code password} of {@code username}. The caller zeroes its array. */
  public static String hash(char[] password, String username) {
    Objects.requireNonNull(password, "password");
    Objects.requireNonNull(username, "username");
    byte[] salt = saltFor(username);
    byte[] pw = utf8(password);
    byte[] out;
    try {
      out = argon2id(pw, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, HASH_LENGTH);
    } finally {
      Arrays.fill(pw, (byte) 0);
    }
    try {
      return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM
          + "$" + B64.encodeToString(salt) + "$" + B64.encodeToString(out);
    } finally {
      Arrays.fill(out, (byte) 0);
    }
  }

  /**
   * A well-formed PHC string with this class's parameters and the salt of {@code username} whose
   * hash part is random bytes, not an Argon2id output: no password verifies against it (a match
   * is a 256-bit guess), yet {@link #verify} against it runs one Argon2id with exactly the
   * parameters and lengths of a real hash, so it costs what a real check costs. The runtime checks
   * unknown users against one, so timing does not tell whether a user exists; unlike {@link #hash}
   * of a random password it costs nothing to make (no Argon2id run at boot).
   */
  public static String unmatchable(String username, SecureRandom random) {
    Objects.requireNonNull(username, "username");
    byte[] out = new byte[HASH_LENGTH];
    random.nextBytes(out);
    return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM
        + "$" + B64.encodeToString(saltFor(username)) + "$" + B64.encodeToString(out);
  }

  /**
   * Whether {@code password} is the one behind {@code phc}. A string that is not a well-formed
   * Argon2id v19 PHC string with parameters inside the bounds above yields {@code false}; this
   * never throws on its inputs.
   */
  public static boolean verify(char[] password, String phc) {
    if (password == null) {
      return false;
    }
    byte[] pw = utf8(password);
    try {
      return verifyUtf8(pw, phc);
    } finally {
      Arrays.fill(pw, (byte) 0);
    }
  }

  /**
   * {@link #verify} for a password already in UTF-8 bytes, as HTTP basic auth delivers it (RFC 7617
   * §2.1 with {@code charset="UTF-8"}). The caller zeroes its array.
   */
  public static boolean verifyUtf8(byte[] passwordUtf8, String phc) {
    if (passwordUtf8 == null || phc == null || phc.length() > 400) {
      return false;
    }
    Parsed p = parse(phc);
    if (p == null) {
      return false;
    }
    byte[] actual = argon2id(passwordUtf8, p.salt, p.memory, p.iterations, p.parallelism, p.hash.length);
    try {
      return MessageDigest.isEqual(actual, p.hash);
    } finally {
      Arrays.fill(actual, (byte) 0);
    }
  }

  /** Whether {@code phc} parses as a hash {@link #verify} would accept. */
  public static boolean isWellFormed(String phc) {
    return phc != null && phc.length() <= 400 && parse(phc) != null;
  }

  static byte[] saltFor(String username) {
    MessageDigest sha256 = TokenDigest.sha256();
    sha256.update(SALT_DOMAIN);
    sha256.update(username.getBytes(StandardCharsets.UTF_8));
    return Arrays.copyOf(sha256.digest(), SALT_LENGTH);
  }

  private record Parsed(int memory, int iterations, int parallelism, byte[] salt, byte[] hash) {}

  private static Parsed parse(String phc) {
    Matcher m = PHC.matcher(phc);
    if (!m.matches()) {
      return null;
    }
    long memory = Long.parseLong(m.group(1));
    long iterations = Long.parseLong(m.group(2));
    long parallelism = Long.parseLong(m.group(3));
    if (parallelism > MAX_PARALLELISM
        || iterations > MAX_ITERATIONS
        || memory > MAX_MEMORY_KIB
        || memory < 8 * parallelism) { // RFC 9106 §3.1: m >= 8p
      return null;
    }
    byte[] salt = decodeCanonical(m.group(4));
    byte[] hash = decodeCanonical(m.group(5));
    if (salt == null || hash == null
        || salt.length < MIN_SALT || salt.length > MAX_SALT
        || hash.length < MIN_HASH || hash.length > MAX_HASH) {
      return null;
    }
    return new Parsed((int) memory, (int) iterations, (int) parallelism, salt, hash);
  }

  /** Unpadded base64 that re-encodes to itself (no stray low bits), else null. */
  private static byte[] decodeCanonical(String s) {
    if (s.length() % 4 == 1) {
      return null;
    }
    try {
      byte[] b = Base64.getDecoder().decode(s);
      return B64.encodeToString(b).equals(s) ? b : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static byte[] argon2id(
      byte[] password, byte[] salt, int memoryKib, int iterations, int parallelism, int length) {
    Argon2Parameters params =
        new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
            .withVersion(Argon2Parameters.ARGON2_VERSION_13)
            .withMemoryAsKB(memoryKib)
            .withIterations(iterations)
            .withParallelism(parallelism)
            .withSalt(salt)
            .build();
    try {
      Argon2BytesGenerator gen = new Argon2BytesGenerator();
      gen.init(params);
      byte[] out = new byte[length];
      gen.generateBytes(password, out);
      return out;
    } finally {
      params.clear();
    }
  }

  /** UTF-8 of {@code chars} without an intermediate String, so the copy can be zeroed. */
  static byte[] utf8(char[] chars) {
    ByteBuffer bb = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
    byte[] out = new byte[bb.remaining()];
    bb.get(out);
    if (bb.hasArray()) {
      Arrays.fill(bb.array(), (byte) 0);
    }
    return out;
  }
}
