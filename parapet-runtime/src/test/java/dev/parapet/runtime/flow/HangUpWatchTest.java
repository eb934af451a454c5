package dev.parapet.runtime.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the watching read brings while a request is in flight waits here, in order, until asked for. */
class HangUpWatchTest {

  @Test
  void bytesReadMidCallWaitUntilThePipelineAsksThenComeInOrder() {
    HangUpWatch watch = new HangUpWatch();
    EmbeddedChannel channel = new EmbeddedChannel(watch);
    channel.config().setAutoRead(false);
    watch.requestInFlight();

    channel.writeInbound(ascii("POST /a"), ascii(" HTTP/1.1"));
    assertNull(channel.readInbound(), "held while the request is in flight");

    channel.read(); // the call completed: the pipeline asks for input
    ByteBuf got = channel.readInbound();
    assertEquals("POST /a HTTP/1.1", got.toString(StandardCharsets.US_ASCII));
    got.release();

    channel.config().setAutoRead(true);
    channel.writeInbound(ascii("next"));
    ByteBuf passed = channel.readInbound();
    assertEquals("next", passed.toString(StandardCharsets.US_ASCII), "not watching: bytes pass");
    passed.release();
    assertFalse(channel.finishAndReleaseAll());
  }

  @Test
  void bytesHeldWhenTheCallerLeavesAreReleased() {
    HangUpWatch watch = new HangUpWatch();
    EmbeddedChannel channel = new EmbeddedChannel(watch);
    channel.config().setAutoRead(false);
    watch.requestInFlight();
    ByteBuf held = ascii("POST /b HTTP/1.1\r\n");
    channel.writeInbound(held);
    channel.close();
    assertEquals(0, held.refCnt());
    assertFalse(channel.finishAndReleaseAll());
  }

  private static ByteBuf ascii(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
  }
}
