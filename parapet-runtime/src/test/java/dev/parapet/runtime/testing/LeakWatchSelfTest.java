package dev.parapet.runtime.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

class LeakWatchSelfTest {
  @Test
  void aLeakIsCaught() {
    LeakWatch.start();
    leak();
    assertThrows(AssertionError.class, LeakWatch::assertNoLeaks);
  }

  private static void leak() {
    ByteBufAllocator.DEFAULT.directBuffer(8).writeByte(1);
  }
}
