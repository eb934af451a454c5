package dev.parapet.runtime.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.Role;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LoginCacheTest {
  private final AtomicLong now = new AtomicLong(5);

  private static byte[] pw(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void remembersOnlyTheExactLoginUntilItExpires() {
    LoginCache cache = new LoginCache(100, 10, now::get);
    cache.remember("alice", pw("right"), Role.ADMIN);
    assertEquals(Optional.of(Role.ADMIN), cache.lookup("alice", pw("right")));
    assertTrue(cache.lookup("alice", pw("wrong")).isEmpty());
    assertTrue(cache.lookup("alic", pw("eright")).isEmpty(), "user and password are length-prefixed");
    assertTrue(cache.lookup("bob", pw("right")).isEmpty());
    now.addAndGet(99);
    assertTrue(cache.lookup("alice", pw("right")).isPresent());
    now.addAndGet(1);
    assertTrue(cache.lookup("alice", pw("right")).isEmpty(), "expired");
  }

  @Test
  void bounded() {
    LoginCache cache = new LoginCache(1_000, 3, now::get);
    for (int i = 0; i < 10; i++) {
      cache.remember("u" + i, pw("p"), Role.VIEWER);
    }
    assertTrue(cache.lookup("u9", pw("p")).isPresent());
    assertTrue(cache.lookup("u0", pw("p")).isEmpty());
  }
}
