package dev.parapet.runtime.admin;

import dev.parapet.core.config.Role;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Recently verified logins, so that a scraper sending the same credentials every few seconds
 * costs one Argon2id run a minute rather than one per scrape. Only successes are kept. The key is
 * an HMAC-SHA256 of user and password under a random key made at startup and never stored, so
 * the cache holds nothing from which a password could be recovered or tested offline once the
 * process is gone. Bounded: when full, expired entries go first, then everything.
 */
final class LoginCache {
  private record Entry(Role role, long expiresAtNanos) {}

  private final ConcurrentHashMap<ByteBuffer, Entry> entries = new ConcurrentHashMap<>();
  private final SecretKeySpec key;
  private final long ttlNanos;
  private final int maxEntries;
  private final LongSupplier clock;

  LoginCache(long ttlNanos, int maxEntries, LongSupplier clock) {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    this.key = new SecretKeySpec(k, "HmacSHA256");
    java.util.Arrays.fill(k, (byte) 0);
    this.ttlNanos = ttlNanos;
    this.maxEntries = maxEntries;
    this.clock = clock;
  }

  /** The role of a login verified within the last TTL, if this is one. */
  Optional<Role> lookup(String username, byte[] password) {
    ByteBuffer id = id(username, password);
    Entry e = entries.get(id);
    if (e == null) {
      return Optional.empty();
    }
    if (clock.getAsLong() - e.expiresAtNanos >= 0) {
      entries.remove(id, e);
      return Optional.empty();
    }
    return Optional.of(e.role);
  }

  /** Remembers a login that was just verified. */
  void remember(String username, byte[] password, Role role) {
    long now = clock.getAsLong();
    if (entries.size() >= maxEntries) {
      entries.values().removeIf(e -> now - e.expiresAtNanos >= 0);
      if (entries.size() >= maxEntries) {
        entries.clear();
      }
    }
    entries.put(id(username, password), new Entry(role, now + ttlNanos));
  }

  private ByteBuffer id(String username, byte[] password) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      byte[] user = username.getBytes(StandardCharsets.UTF_8);
      // Length-prefixed, so "ab"+"c" and "a"+"bc" cannot collide.
      mac.update(ByteBuffer.allocate(4).putInt(user.length).array());
      mac.update(user);
      mac.update(password);
      return ByteBuffer.wrap(mac.doFinal());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
