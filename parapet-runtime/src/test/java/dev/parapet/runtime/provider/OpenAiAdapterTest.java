package dev.parapet.runtime.provider;

import static dev.parapet.runtime.provider.TestRoutes.json;
import static dev.parapet.runtime.provider.TestRoutes.route;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import dev.parapet.core.seal.SecretValue;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OpenAiAdapterTest {
  private static final SecretValue KEY = SecretValue.of("sk-test-0123456789");
  private final ProviderAdapter openai = Providers.forType(ProviderType.OPENAI);
  private final Route route = route(ProviderType.OPENAI, "gpt-4o-2024-08-06", Optional.empty());

  @Test
  void registryKnowsRemoteTypesAndRejectsEcho() {
    assertEquals(ProviderType.OPENAI, Providers.forType(ProviderType.OPENAI).type());
    assertEquals(ProviderType.LOCAL, Providers.forType(ProviderType.LOCAL).type());
    assertThrows(IllegalArgumentException.class, () -> Providers.forType(ProviderType.ECHO));
  }

  @Test
  void nonStreamingRequestGoesUpAsGivenWithExactHeaders() throws Exception {
    ObjectNode request = json("{\"model\":\"gpt-4o-2024-08-06\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}");
    UpstreamCall call = openai.toUpstream(route, request, Optional.of(KEY));
    assertEquals(URI.create("https://api.openai.com/v1/chat/completions"), call.uri());
    assertEquals(Map.of(
        "content-type", "application/json",
        "accept", "application/json",
        "authorization", "Bearer sk-test-0123456789",
        "user-agent", "parapet/0.1"), call.headers());
    assertEquals(request, Json.MAPPER.readTree(call.body()));
    assertFalse(call.toString().contains("sk-test"));
  }

  @Test
  void modelIsAlwaysTheRoutesPinnedModel() throws Exception {
    ObjectNode request = json("{\"model\":\"r1\",\"messages\":[],\"stream\":true}");
    UpstreamCall call = openai.toUpstream(route, request, Optional.of(KEY));
    assertEquals("gpt-4o-2024-08-06", Json.MAPPER.readTree(call.body()).get("model").asText());
    assertEquals("r1", request.get("model").asText(), "the caller's node is left alone");
  }

  @Test
  void streamingForcesUsageWithoutTouchingTheCallersNode() throws Exception {
    String m = "\"model\":\"gpt-4o-2024-08-06\",";
    ObjectNode request = json("{" + m + "\"messages\":[],\"stream\":true,\"stream_options\":{\"include_usage\":false}}");
    ObjectNode before = request.deepCopy();
    UpstreamCall call = openai.toUpstream(route, request, Optional.of(KEY));
    assertEquals("text/event-stream", call.headers().get("accept"));
    assertEquals(json("{" + m + "\"messages\":[],\"stream\":true,\"stream_options\":{\"include_usage\":true}}"),
        Json.MAPPER.readTree(call.body()));
    assertEquals(before, request);
    assertEquals(json("{" + m + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}"),
        Json.MAPPER.readTree(openai.toUpstream(route, json("{" + m + "\"stream\":true}"), Optional.empty()).body()));
    assertFalse(Providers.callerWantsUsage(request));
    assertTrue(Providers.callerWantsUsage(json("{\"stream_options\":{\"include_usage\":true}}")));
    assertThrows(InvalidRequestException.class,
        () -> openai.toUpstream(route, json("{\"stream\":true,\"stream_options\":3}"), Optional.of(KEY)));
  }

  @Test
  void localJoinsBaseUrlCarefullyAndSendsNoKeyWhenItHasNone() throws Exception {
    ProviderAdapter local = Providers.forType(ProviderType.LOCAL);
    for (String base : List.of("http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1/", "http://127.0.0.1:11434/v1//")) {
      UpstreamCall call = local.toUpstream(route(ProviderType.LOCAL, "llama3", Optional.of(base)),
          json("{\"messages\":[]}"), Optional.empty());
      assertEquals(URI.create("http://127.0.0.1:11434/v1/chat/completions"), call.uri());
      assertFalse(call.headers().containsKey("authorization"));
    }
    UpstreamCall root = local.toUpstream(route(ProviderType.LOCAL, "m", Optional.of("http://localhost:8080")),
        json("{}"), Optional.empty());
    assertEquals(URI.create("http://localhost:8080/chat/completions"), root.uri());
    UpstreamCall query = local.toUpstream(route(ProviderType.LOCAL, "m", Optional.of("https://h/openai/?api-version=1")),
        json("{}"), Optional.of(KEY));
    assertEquals(URI.create("https://h/openai/chat/completions?api-version=1"), query.uri());
  }

  /** The route stage refuses first; the adapter refuses too, so no path forwards a field off the list. */
  @Test
  void localForwardsOnlyListedFields() throws Exception {
    ProviderAdapter local = Providers.forType(ProviderType.LOCAL);
    Route r = route(ProviderType.LOCAL, "m", Optional.of("http://127.0.0.1:8080/v1"));
    InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> local.toUpstream(r,
        json("{\"messages\":[],\"bootstrap_host\":\"10.0.0.9\"}"), Optional.empty()));
    assertTrue(e.getMessage().startsWith("bootstrap_host: "), e.getMessage());
    assertFalse(e.getMessage().contains("10.0.0.9"), e.getMessage());
    UpstreamCall call = local.toUpstream(r, json("{\"messages\":[],\"top_k\":40,\"best_of\":null}"), Optional.empty());
    assertEquals(json("{\"messages\":[],\"top_k\":40,\"model\":\"m\"}"), Json.MAPPER.readTree(call.body()));
    UpstreamCall toOpenAi = openai.toUpstream(route, json("{\"messages\":[],\"best_of\":3}"), Optional.empty());
    assertEquals(3, Json.MAPPER.readTree(toOpenAi.body()).path("best_of").asInt(), "an openai route has no such list");
  }

  @Test
  void responseIsPassedThroughWithModelUsageAndFingerprint() throws Exception {
    ObjectNode body = json("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-2024-08-06\","
        + "\"system_fingerprint\":\"fp_1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"x\"},"
        + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1,\"total_tokens\":10}}");
    Translated t = openai.translateResponse(route, body);
    assertSame(body, t.body());
    assertEquals(Optional.of("gpt-4o-2024-08-06"), t.reportedModel());
    assertEquals(Optional.of(new Usage(9, 1)), t.usage());
    assertEquals(Optional.of("fp_1"), t.systemFingerprint());
  }

  @Test
  void malformedResponsesAreProtocolErrors() throws Exception {
    assertThrows(ProviderProtocolException.class, () -> openai.translateResponse(route, json("{\"model\":\"m\"}")));
    assertThrows(ProviderProtocolException.class, () -> openai.translateResponse(route, json("{\"choices\":{}}")));
    assertThrows(ProviderProtocolException.class,
        () -> openai.translateResponse(route, json("{\"choices\":[],\"usage\":{\"prompt_tokens\":\"9\"}}")));
    assertThrows(ProviderProtocolException.class,
        () -> openai.translateResponse(route, json("{\"choices\":[],\"usage\":{\"prompt_tokens\":-1}}")));
    Translated noUsage = openai.translateResponse(route, json("{\"choices\":[]}"));
    assertEquals(Optional.empty(), noUsage.usage());
    assertEquals(Optional.empty(), noUsage.reportedModel());
  }

  // Recorded-style OpenAI stream with stream_options.include_usage (odd spacing kept on purpose).
  private static final List<String> STREAM = List.of(
      "{\"id\":\"chatcmpl-A\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-2024-08-06\",\"system_fingerprint\":\"fp_9\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}",
      "{\"id\":\"chatcmpl-A\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-2024-08-06\",\"system_fingerprint\":\"fp_9\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\u00e9\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}",
      "{ \"id\":\"chatcmpl-A\", \"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":null}],\"usage\":null}",
      "{\"id\":\"chatcmpl-A\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}",
      "{\"id\":\"chatcmpl-A\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-2024-08-06\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}",
      "[DONE]");

  @Test
  void streamPassesPayloadsThroughByteForByteAndDropsUnaskedUsage() throws Exception {
    StreamTranslator t = openai.newStreamTranslator(route, false);
    List<String> out = feed(t, STREAM);
    List<String> expected = new ArrayList<>(STREAM);
    expected.remove(4);
    assertEquals(expected, out);
    for (int i = 0; i < out.size(); i++) {
      assertSame(expected.get(i), out.get(i), "the very same string, never re-serialized");
    }
    assertTrue(t.finished());
    assertEquals(Optional.of("gpt-4o-2024-08-06"), t.reportedModel());
    assertEquals(Optional.of(new Usage(12, 3)), t.usage());
    assertEquals(Optional.of("fp_9"), t.systemFingerprint());
  }

  @Test
  void streamKeepsTheLastReportedModelAndFingerprintWithoutReplacingThemPerChunk() throws Exception {
    StreamTranslator t = openai.newStreamTranslator(route, false);
    feed(t, STREAM.subList(0, 1));
    Optional<String> model = t.reportedModel();
    Optional<String> fingerprint = t.systemFingerprint();
    feed(t, STREAM.subList(1, 3)); // the same model again; no fingerprint at all
    // The same objects, not equal copies: a new one stored per chunk into this long-lived object
    // is what G1's young pauses pay for with thousands of streams open (bench/profile-notes.md).
    assertSame(model, t.reportedModel());
    assertSame(fingerprint, t.systemFingerprint());
    t.onEvent(SseEvent.data("{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini\","
        + "\"system_fingerprint\":\"fp_10\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}"));
    assertEquals(Optional.of("gpt-4o-mini"), t.reportedModel(), "a change is still seen: the last one wins");
    assertEquals(Optional.of("fp_10"), t.systemFingerprint());
  }

  @Test
  void streamKeepsUsageChunkWhenCallerAskedForIt() throws Exception {
    StreamTranslator t = openai.newStreamTranslator(route, true);
    assertEquals(STREAM, feed(t, STREAM));
    assertEquals(Optional.of(new Usage(12, 3)), t.usage());
  }

  @Test
  void streamErrorsAndGarbageAreProtocolErrors() throws Exception {
    StreamTranslator t = openai.newStreamTranslator(route, false);
    assertFalse(t.finished());
    assertEquals(List.of(), t.onEvent(SseEvent.data("")));
    assertThrows(ProviderProtocolException.class,
        () -> t.onEvent(SseEvent.data("{\"error\":{\"message\":\"sk-leaked\",\"type\":\"server_error\"}}")));
    ProviderProtocolException e = assertThrows(ProviderProtocolException.class,
        () -> openai.newStreamTranslator(route, false).onEvent(SseEvent.data("not json sk-leaked")));
    assertFalse(e.getMessage().contains("sk-leaked"));
    assertThrows(ProviderProtocolException.class,
        () -> openai.newStreamTranslator(route, false).onEvent(SseEvent.data("[1,2]")));
    assertThrows(ProviderProtocolException.class,
        () -> openai.newStreamTranslator(route, false).onEvent(new SseEvent(Optional.of("error"), "{}")));
  }

  @Test
  void streamThroughParserAndWriterReproducesTheBytes() throws Exception {
    StringBuilder wire = new StringBuilder();
    for (String p : STREAM) {
      wire.append("data: ").append(p).append("\n\n");
    }
    SseParser parser = new SseParser();
    io.netty.buffer.ByteBuf in = io.netty.buffer.Unpooled.copiedBuffer(wire, StandardCharsets.UTF_8);
    StreamTranslator t = openai.newStreamTranslator(route, true);
    StringBuilder out = new StringBuilder();
    try {
      for (SseEvent e : parser.feed(in)) {
        for (String payload : StreamChunks.jsonOf(t.onEvent(e))) {
          io.netty.buffer.ByteBuf framed = SseWriter.frame(io.netty.buffer.ByteBufAllocator.DEFAULT, payload);
          out.append(framed.toString(StandardCharsets.UTF_8));
          framed.release();
        }
      }
    } finally {
      in.release();
    }
    assertEquals(wire.toString(), out.toString());
  }

  private static List<String> feed(StreamTranslator t, List<String> payloads) throws ProviderProtocolException {
    List<String> out = new ArrayList<>();
    for (String p : payloads) {
      out.addAll(StreamChunks.jsonOf(t.onEvent(SseEvent.data(p))));
    }
    return out;
  }
}
