package dev.parapet.runtime.provider;

import static dev.parapet.runtime.provider.TestRoutes.route;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StreamRelayTest {
  private static final String WIRE = "event: message_start\r\n"
      + "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude-x\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\r\n\r\n"
      + "event: content_block_delta\r\n"
      + "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\u00e9t\u00e9 \uD83D\uDE00\"}}\r\n\r\n"
      + ": comment\r\n"
      + "event: message_delta\r\n"
      + "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":4}}\r\n\r\n"
      + "event: message_stop\r\n"
      + "data: {\"type\":\"message_stop\"}\r\n\r\n";

  private final Route route = route(ProviderType.ANTHROPIC, "claude-x", Optional.empty());
  private final AnthropicAdapter adapter =
      new AnthropicAdapter(Clock.fixed(Instant.ofEpochSecond(1), ZoneOffset.UTC));

  @Test
  void anyTwoWaySplitOfTheBytesGivesTheSamePayloads() throws Exception {
    byte[] bytes = WIRE.getBytes(StandardCharsets.UTF_8);
    List<String> whole = relay(List.of(bytes), true);
    assertEquals(5, whole.size()); // role, text, finish, usage, [DONE]
    assertEquals("[DONE]", whole.get(4));
    for (int cut = 0; cut <= bytes.length; cut++) {
      byte[] a = new byte[cut];
      byte[] b = new byte[bytes.length - cut];
      System.arraycopy(bytes, 0, a, 0, cut);
      System.arraycopy(bytes, cut, b, 0, b.length);
      assertEquals(whole, relay(List.of(a, b), true), "cut=" + cut);
    }
  }

  @Test
  void cutShortStreamIsNotClean() throws Exception {
    byte[] bytes = WIRE.substring(0, WIRE.indexOf("event: message_stop") + 25).getBytes(StandardCharsets.UTF_8);
    StreamRelay relay = new StreamRelay(adapter.newStreamTranslator(route, false));
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    try {
      relay.feed(in);
    } finally {
      in.release();
    }
    assertFalse(relay.finish());
    assertEquals(Optional.of(new Usage(3, 4)), relay.translator().usage());
  }

  private List<String> relay(List<byte[]> parts, boolean expectClean) throws ProviderProtocolException {
    StreamRelay relay = new StreamRelay(adapter.newStreamTranslator(route, true));
    List<String> out = new ArrayList<>();
    for (byte[] part : parts) {
      ByteBuf in = Unpooled.wrappedBuffer(part);
      try {
        out.addAll(StreamChunks.jsonOf(relay.feed(in)));
      } finally {
        in.release();
      }
    }
    assertTrue(relay.finish() == expectClean);
    return out;
  }
}
