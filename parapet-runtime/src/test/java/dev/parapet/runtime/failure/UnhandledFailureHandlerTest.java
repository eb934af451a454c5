package dev.parapet.runtime.failure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

class UnhandledFailureHandlerTest {
  @Test
  void aFailureClosesTheConnection() {
    EmbeddedChannel ch = new EmbeddedChannel(new UnhandledFailureHandler());
    ch.pipeline().fireExceptionCaught(new IllegalStateException("caller bytes here"));
    assertFalse(ch.isActive());
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void strayMessagesAreReleased() {
    EmbeddedChannel ch = new EmbeddedChannel(new UnhandledFailureHandler());
    ByteBuf stray = Unpooled.buffer(4).writeInt(1);
    ch.writeInbound(stray);
    assertEquals(0, stray.refCnt());
    assertFalse(ch.finishAndReleaseAll());
  }
}
