package dev.parapet.runtime.admin;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FailureLimitTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);

  private static InetAddress ip(int last) throws Exception {
    return InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) last});
  }

  @Test
  void tenFailuresAMinutePerAddress() throws Exception {
    FailureLimit limit = new FailureLimit(10, MINUTE, 100, now::get);
    for (int i = 0; i < 9; i++) {
      limit.failed(ip(1));
    }
    assertFalse(limit.blocked(ip(1)));
    limit.failed(ip(1));
    assertTrue(limit.blocked(ip(1)));
    assertFalse(limit.blocked(ip(2)), "another address is not affected");
    now.addAndGet(MINUTE - 1);
    assertTrue(limit.blocked(ip(1)));
    now.addAndGet(1);
    assertFalse(limit.blocked(ip(1)), "a new window");
  }

  @Test
  void aFullTableSharesOneOverflowWindow() throws Exception {
    FailureLimit limit = new FailureLimit(3, MINUTE, 2, now::get);
    limit.failed(ip(1));
    limit.failed(ip(2));
    for (int i = 10; i < 13; i++) {
      limit.failed(ip(i)); // table full: all three land in the overflow window
    }
    assertTrue(limit.blocked(ip(99)), "a flood from many addresses is limited as one client");
    assertFalse(limit.blocked(ip(1)));
    now.addAndGet(MINUTE);
    limit.failed(ip(50)); // expired windows are purged, so this address gets its own
    assertFalse(limit.blocked(ip(50)));
  }
}
