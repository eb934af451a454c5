package dev.parapet.runtime.accesslog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The access log's latency field reads as it did with {@code String.format("%.1f")}. */
class AccessLogLatencyTest {
  @Test
  void matchesTheFormatterItReplaced() {
    long[] fixed = {0, 1, 49_999, 50_000, 99_999, 100_000, 149_999, 150_000, 950_000, 999_999, 1_000_000,
        12_345_678, 71_949_999, 71_950_000, 9_999_950_000L, 123_456_789_012L};
    for (long n : fixed) {
      assertEquals(String.format(Locale.ROOT, "%.1f", n / 1e6), AccessLogHandler.millisOneDecimal(n), "nanos " + n);
    }
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 100_000; i++) {
      long n = random.nextLong(0, 60_000_000_000L);
      if (n % 50_000 == 0) {
        continue; // exact halves: the double n / 1e6 may sit a hair below the half, the integer does not
      }
      assertEquals(String.format(Locale.ROOT, "%.1f", n / 1e6), AccessLogHandler.millisOneDecimal(n), "nanos " + n);
    }
  }

  @Test
  void aNegativeClockStepReadsAsZero() {
    assertEquals("0.0", AccessLogHandler.millisOneDecimal(-5));
  }
}
