package dev.parapet.core.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parapet.core.config.ProviderType;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CountCacheTest {
  private static String text(int chars, String seed) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; sb.length() < chars; i++) {
      sb.append(seed).append(' ').append(i).append(" naïve café — 東京 ");
    }
    return sb.substring(0, chars);
  }

  @Test
  void aCachingCounterCountsExactlyWhatThePlainOneCounts() {
    CountCache cache = new CountCache();
    for (TokenCounter plain : List.of(TokenCounter.forModel(ProviderType.OPENAI, "gpt-4o"),
        TokenCounter.forModel(ProviderType.OPENAI, "gpt-4"), TokenCounter.forModel(ProviderType.ANTHROPIC, "claude-x"))) {
      TokenCounter cached = plain.cachingIn(cache, "svc");
      for (String t : List.of("", "short", text(CountCache.MIN_CHARS, "a"), text(50_000, "b"))) {
        assertEquals(plain.count(t), cached.count(t), plain + " " + t.length());
        assertEquals(plain.count(t), cached.count(t), "again, from the cache: " + plain);
      }
      List<String> messages = List.of(text(3000, "system"), "hi");
      assertEquals(plain.countMessages(messages), cached.countMessages(messages));
    }
  }

  @Test
  void aLongTextIsCountedOncePerPartitionAShortOneEveryTime() {
    CountCache cache = new CountCache();
    AtomicInteger counted = new AtomicInteger();
    String longText = text(CountCache.MIN_CHARS, "x");
    String shortText = longText.substring(1);
    for (int i = 0; i < 3; i++) {
      assertEquals(7, cache.count("svc-a", "o200k_base", longText, () -> counted.incrementAndGet() * 0 + 7));
    }
    assertEquals(1, counted.get(), "counted once, then remembered");
    cache.count("svc-b", "o200k_base", longText, counted::incrementAndGet);
    assertEquals(2, counted.get(), "another service is another partition");
    cache.count("svc-a", "cl100k_base", longText, counted::incrementAndGet);
    assertEquals(3, counted.get(), "another encoding is another entry");
    cache.count("svc-a", "o200k_base", shortText, counted::incrementAndGet);
    cache.count("svc-a", "o200k_base", shortText, counted::incrementAndGet);
    assertEquals(5, counted.get(), "below MIN_CHARS nothing is remembered");
    // Partition and encoding are length-prefixed: moving a character across the seam is a new key.
    cache.count("svc-ao", "200k_base", longText, counted::incrementAndGet);
    assertEquals(6, counted.get());
  }

  @Test
  void boundedPerThreadLeastRecentlyUsedOut() {
    CountCache cache = new CountCache();
    String keep = text(CountCache.MIN_CHARS, "keep");
    AtomicInteger counted = new AtomicInteger();
    cache.count("s", "e", keep, counted::incrementAndGet);
    for (int i = 0; i < CountCache.ENTRIES_PER_THREAD + 100; i++) {
      cache.count("s", "e", text(CountCache.MIN_CHARS, "t" + i), () -> 1);
      if (i % 100 == 0) {
        cache.count("s", "e", keep, counted::incrementAndGet); // recently used: stays
      }
    }
    assertEquals(CountCache.ENTRIES_PER_THREAD, cache.size());
    assertEquals(1, counted.get());
  }
}
