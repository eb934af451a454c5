package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bound of {@link BodyCodings}: a zip bomb stops at the limit, having allocated about the limit
 * and no more (the JVM's count of this thread's allocations), however much it would inflate to.
 * The end-to-end cases are in {@link HostileProviderEndToEndTest}.
 */
class BodyCodingsTest {
  private static final int LIMIT = BufferedAnswer.MAX_BODY_BYTES;

  private static long allocated() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  @Test
  void aBombStopsAtTheLimitWithoutAllocatingPastIt() {
    byte[] bomb = HostileProviderEndToEndTest.Bomb.GZIP;
    byte[] twice = HostileProviderEndToEndTest.Bomb.TWICE;
    for (var sent : List.of(new Object[] {bomb, List.of(BodyCodings.Coding.GZIP)},
        new Object[] {twice, List.of(BodyCodings.Coding.GZIP, BodyCodings.Coding.GZIP)})) {
      ByteBuffer in = ByteBuffer.wrap((byte[]) sent[0]);
      @SuppressWarnings("unchecked")
      List<BodyCodings.Coding> codings = (List<BodyCodings.Coding>) sent[1];
      long before = allocated();
      BodyCodings.Decoded decoded = BodyCodings.decode(in, codings, LIMIT);
      long used = allocated() - before;
      assertEquals(BodyCodings.Outcome.TOO_LARGE, decoded.outcome());
      // The doubling buffer up to the limit sums to < 2 x limit; the outer layer's output (~1 MB) on top.
      assertTrue(used < 2L * LIMIT + (4 << 20), "allocated " + used + " bytes for a " + HostileProviderEndToEndTest.Bomb.DECODED
          + "-byte bomb");
    }
  }

  @Test
  void aBodyOfExactlyTheLimitDecodes() throws Exception {
    byte[] plain = new byte[1 << 16];
    java.util.Arrays.fill(plain, (byte) 'a');
    BodyCodings.Decoded exact = BodyCodings.decode(ByteBuffer.wrap(HostileProviderEndToEndTest.gzip(plain)),
        List.of(BodyCodings.Coding.GZIP), plain.length);
    assertEquals(BodyCodings.Outcome.DECODED, exact.outcome());
    assertEquals(plain.length, exact.length());
    assertEquals(BodyCodings.Outcome.TOO_LARGE, BodyCodings.decode(
        ByteBuffer.wrap(HostileProviderEndToEndTest.gzip(plain)), List.of(BodyCodings.Coding.GZIP), plain.length - 1)
        .outcome());
  }
}
