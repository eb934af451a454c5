package dev.parapet.runtime.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import dev.parapet.core.seal.SecretValue;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a provider (or a caller, for request translation) can send us, fuzzed:
 *
 * <ul>
 *   <li>the SSE parser, fed arbitrary bytes in arbitrary pieces, throws nothing but {@link
 *       ProviderProtocolException}, never hands out an event larger than its limit, and stays
 *       failed once it failed;
 *   <li>the Anthropic stream translator behind it throws nothing but {@link
 *       ProviderProtocolException}, every payload it emits is JSON or the one {@code [DONE]};
 *   <li>Anthropic request translation throws nothing but {@link InvalidRequestException} and
 *       never names another model than the route's; response translation only {@link
 *       ProviderProtocolException}.
 * </ul>
 *
 * <p>Seeds replay in the normal build; {@code JAZZER_FUZZ=1 ./mvnw -pl parapet-runtime test
 * -Dtest=ProviderFuzzTest} fuzzes (one method at a time: {@code -Dtest='ProviderFuzzTest#sse*'}).
 */
class ProviderFuzzTest {
  private static final String MODEL = "claude-3-5-sonnet-20241022";
  private static final Route ROUTE = TestRoutes.route(ProviderType.ANTHROPIC, MODEL, Optional.empty());
  private static final ProviderAdapter ANTHROPIC = Providers.forType(ProviderType.ANTHROPIC);

  @FuzzTest
  void sseStreamThroughTheAnthropicTranslator(FuzzedDataProvider data) {
    int limit = data.consumeInt(1, 512);
    int pieces = data.consumeInt(1, 8);
    int[] sizes = new int[pieces];
    for (int i = 0; i < pieces; i++) {
      sizes[i] = data.consumeInt(1, 256);
    }
    byte[] stream = data.consumeRemainingAsBytes();
    SseParser parser = new SseParser(limit);
    StreamTranslator translator = ANTHROPIC.newStreamTranslator(ROUTE, true);
    List<SseEvent> events = new ArrayList<>();
    int at = 0;
    boolean failed = false;
    for (int i = 0; at < stream.length; i = (i + 1) % pieces) {
      int n = Math.min(sizes[i], stream.length - at);
      ByteBuf piece = Unpooled.wrappedBuffer(stream, at, n);
      at += n;
      try {
        parser.feed(piece, events::add);
        assertFalse(failed, "a failed parser accepted more input");
        assertEquals(piece.writerIndex(), piece.readerIndex(), "bytes left unread");
      } catch (ProviderProtocolException e) {
        failed = true;
      } catch (RuntimeException | Error e) {
        fail("SseParser threw " + e, e);
      } finally {
        piece.release();
      }
    }
    parser.finish(e -> fail("finish dispatched " + e));

    int done = 0;
    for (SseEvent event : events) {
      assertTrue(event.data().length() <= limit, "event of " + event.data().length() + " chars over the limit " + limit);
      List<String> out;
      try {
        out = StreamChunks.jsonOf(translator.onEvent(event));
      } catch (ProviderProtocolException e) {
        break; // the relay ends the stream with upstream_error
      } catch (RuntimeException | Error e) {
        fail("AnthropicStreamTranslator threw " + e + " on " + event, e);
        return;
      }
      for (String payload : out) {
        if ("[DONE]".equals(payload)) {
          done++;
        } else {
          assertTrue(parses(payload), "not JSON: " + payload);
        }
      }
    }
    assertTrue(done <= 1, "[DONE] sent " + done + " times");
    if (done == 1) {
      assertTrue(translator.finished(), "[DONE] before the stream finished");
    }
    assertNotNull(translator.usage());
  }

  @FuzzTest
  void anthropicRequestAndResponseTranslation(byte[] input) {
    ObjectNode body;
    try {
      JsonNode node = Json.MAPPER.readTree(input);
      if (!(node instanceof ObjectNode object)) {
        return;
      }
      body = object;
    } catch (java.io.IOException e) {
      return;
    }
    try {
      UpstreamCall call = ANTHROPIC.toUpstream(ROUTE, body.deepCopy(), Optional.of(SecretValue.of("sk-ant-fuzz")));
      JsonNode sent = Json.MAPPER.readTree(call.body());
      assertEquals(MODEL, sent.path("model").asText(), "the caller changed the upstream model");
      assertEquals("https://api.anthropic.com/v1/messages", call.uri().toString());
    } catch (InvalidRequestException e) {
      assertNotNull(e.getMessage());
    } catch (java.io.IOException e) {
      fail("the upstream body is not JSON", e);
    } catch (RuntimeException | Error e) {
      fail("toUpstream threw " + e, e);
    }
    try {
      Translated t = ANTHROPIC.translateResponse(ROUTE, body);
      assertNotNull(t.body());
    } catch (ProviderProtocolException e) {
      assertNotNull(e.getMessage());
    } catch (RuntimeException | Error e) {
      fail("translateResponse threw " + e, e);
    }
  }

  private static boolean parses(String json) {
    try {
      Json.MAPPER.readTree(json);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
